"""Which side panels are shown: View-menu toggles remembered in the settings, and full-image mode.

A reader hides the panels they do not use (the choice persists as ``Settings.hidden_panels``, by dock title)
and switches to full-image mode to give the whole window to the image for a moment. Full-image mode is a
temporary view, not a new choice of panels: leaving it shows exactly the panels that were shown before, and
it never changes the remembered set. Showing a panel by hand while in it ends the mode and keeps the panels
as they then are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from carzero_viewer.settings import Settings
from carzero_viewer.ui.shortcuts import SHORTCUTS


class PanelLayout(QObject):
    """Makes ``docks`` closable, applies and records their hidden state, and owns the full-image action."""

    def __init__(
        self, parent: QWidget, docks: Sequence[QDockWidget], settings: Settings, save: Callable[[], None]
    ) -> None:
        super().__init__(parent)
        self.docks = list(docks)
        self._settings = settings
        self._save = save
        self._restore: list[QDockWidget] | None = None  # the panels full-image mode hid; None: not in it
        self._switching = False  # the panels change because of full-image mode, not by the user
        for dock in self.docks:
            # Without the closable feature Qt disables the dock's toggle action (the greyed-out View menu).
            dock.setFeatures(dock.features() | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            if dock.objectName() in settings.hidden_panels:
                dock.hide()
            dock.visibilityChanged.connect(self._on_visibility_changed)
        # Names of panels this version does not have are dropped, so showing the window writes nothing.
        settings.hidden_panels = [dock.objectName() for dock in self.docks if dock.isHidden()]
        key, text = SHORTCUTS["full_image"]
        self.full_image_action = QAction("Full image (hide panels)", parent)
        self.full_image_action.setCheckable(True)
        self.full_image_action.setShortcut(QKeySequence(key))
        self.full_image_action.setToolTip(f"{text} ({key})")
        self.full_image_action.toggled.connect(self.set_full_image)

    def full_image(self) -> bool:
        return self._restore is not None

    @Slot(bool)
    def set_full_image(self, enabled: bool) -> None:
        """Hide every shown panel, or show again those full-image mode hid."""
        if enabled != self.full_image():
            self._switching = True
            try:
                if enabled:
                    self._restore = [dock for dock in self.docks if not dock.isHidden()]
                    for dock in self._restore:
                        dock.hide()
                else:
                    for dock in self._restore or []:
                        dock.show()
                    self._restore = None
            finally:
                self._switching = False
        self.full_image_action.setChecked(enabled)

    @Slot(bool)
    def _on_visibility_changed(self, _visible: bool) -> None:
        # Read from each dock's own hidden flag, set by the View menu and the dock's close button alike. Showing
        # or closing the window changes what is visible but not that flag, so it saves nothing.
        if self._switching:
            return
        hidden = [dock.objectName() for dock in self.docks if dock.isHidden()]
        if self.full_image() and len(hidden) < len(self.docks):  # a panel shown by hand: arranging again
            self._restore = None
            self.full_image_action.setChecked(False)
        if hidden != self._settings.hidden_panels:
            self._settings.hidden_panels = hidden
            self._save()
