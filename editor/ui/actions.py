"""Every command of the window, defined once: text, shortcuts, icon, status tip and menu.

Menus, tool bars, the face panel and the shortcuts dialog are all built from `ACTION_SPECS`, so a shortcut can
never differ between the menu and the help. Behaviour is connected by the controllers, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple, Union

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QStyle, QWidget

from .common import icons

Key = Union[str, QKeySequence.StandardKey]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    menu: str
    tip: str
    keys: Tuple[Key, ...] = ()
    icon: Optional[str] = None              # a name from common/icons.py
    std_icon: Optional[QStyle.StandardPixmap] = None
    checkable: bool = False
    hold: Optional[str] = None              # a key held down (handled by the canvas), listed in the help
    separator_before: bool = False


SP = QStyle.StandardPixmap
ACTION_SPECS: Tuple[ActionSpec, ...] = (
    # File
    ActionSpec("open", "&Open…", "File", "Open a photo", ("Ctrl+O",), std_icon=SP.SP_DialogOpenButton),
    ActionSpec("save", "&Save", "File", "Save over the open file (keeps EXIF and colour profile)", ("Ctrl+S",),
               std_icon=SP.SP_DialogSaveButton, separator_before=True),
    ActionSpec("save_as", "Save &As…", "File", "Save to a new file; the original stays untouched", ("Ctrl+Shift+S",)),
    ActionSpec("export", "&Export…", "File", "Write a copy for sharing, optionally without personal metadata",
               ("Ctrl+E",)),
    ActionSpec("seal_export", "Export with Sealed &Originals…", "File",
               "Export a copy whose edited regions are hidden, with their originals sealed for a recovery key",
               ("Ctrl+Shift+E",)),
    ActionSpec("export_anonymized", "Export A&nonymized…", "File",
               "Export the anonymized photo with its original faces sealed for a recovery key and personal "
               "metadata stripped", ("Ctrl+Alt+E",)),
    ActionSpec("batch_anonymize", "Anonymize &Folder…", "File",
               "Anonymize every photo of files or folders into an output folder, with a report"),
    ActionSpec("batch_unmask", "Remove Face &Masks in Folder…", "File",
               "Remove the face masks in every photo of files or folders into an output folder, with a report"),
    ActionSpec("recover", "&Recover Originals…", "File",
               "Restore the sealed original regions of this photo with your recovery key"),
    ActionSpec("keys", "Recovery &Keys…", "File", "Create, export, import or delete recovery keys"),
    ActionSpec("quit", "&Quit", "File", "Close Veil", ("Ctrl+Q",), separator_before=True),
    # Edit
    ActionSpec("undo", "&Undo", "Edit", "Undo the last edit", ("Ctrl+Z",), icon="undo"),
    ActionSpec("redo", "&Redo", "Edit", "Redo the edit you undid", ("Ctrl+Shift+Z", "Ctrl+Y"), icon="redo"),
    ActionSpec("settings", "Se&ttings…", "Edit", "Device, default recovery key and export profile", ("Ctrl+,",),
               separator_before=True),
    # Mask
    ActionSpec("brush", "&Brush", "Mask", "Paint the area to fill", ("B",), icon="brush", checkable=True),
    ActionSpec("eraser", "&Eraser", "Mask", "Erase from the mask", ("E",), icon="eraser", checkable=True),
    ActionSpec("brush_smaller", "Smaller Brush", "Mask", "Make the brush smaller", ("[",)),
    ActionSpec("brush_larger", "Larger Brush", "Mask", "Make the brush larger", ("]",)),
    ActionSpec("brush_softer", "Softer Brush", "Mask", "Make the brush edge softer", ("Shift+[", "{")),
    ActionSpec("brush_harder", "Harder Brush", "Mask", "Make the brush edge harder", ("Shift+]", "}")),
    ActionSpec("clear_mask", "&Clear Mask", "Mask", "Remove the whole mask", ("Ctrl+Shift+A",), icon="clear",
               separator_before=True),
    ActionSpec("invert_mask", "&Invert Mask", "Mask", "Select everything that is not masked", ("Ctrl+I",),
               icon="invert"),
    ActionSpec("grow_mask", "&Grow Mask", "Mask", "Expand the mask by the radius", icon="grow"),
    ActionSpec("shrink_mask", "S&hrink Mask", "Mask", "Contract the mask by the radius", icon="shrink"),
    ActionSpec("feather_mask", "&Feather Mask", "Mask", "Soften the mask edge by the radius", ("Shift+F6",),
               icon="feather"),
    ActionSpec("mask_faces", "&Mask Selected Faces", "Mask", "Add every included face to the mask",
               ("Ctrl+Shift+M",), icon="mask_faces", separator_before=True),
    ActionSpec("inpaint", "Fi&ll Masked Area", "Mask", "Fill the masked area with the chosen engine",
               ("Ctrl+Return", "Ctrl+Enter"), icon="fill", separator_before=True),
    # View
    ActionSpec("zoom_in", "Zoom &In", "View", "Zoom in", ("Ctrl+=", "Ctrl++"), icon="zoom_in"),
    ActionSpec("zoom_out", "Zoom &Out", "View", "Zoom out", ("Ctrl+-",), icon="zoom_out"),
    ActionSpec("zoom_fit", "&Fit on Screen", "View", "Show the whole photo", ("Ctrl+0",), icon="fit"),
    ActionSpec("zoom_actual", "&Actual Pixels (100%)", "View", "One photo pixel per screen pixel", ("Ctrl+1",),
               icon="actual"),
    ActionSpec("compare", "&Before/After", "View", "Show the photo as it was opened (or hold \\)",
               icon="compare", checkable=True, hold="\\", separator_before=True),
    # Faces
    ActionSpec("detect_faces", "&Detect Faces", "Faces", "Find the faces in the photo", ("Ctrl+Shift+F",),
               icon="detect"),
    ActionSpec("remove_face_masks", "&Remove Face Masks", "Faces",
               "Find the face mask each face wears and fill it with the face model (one undo step)",
               ("Ctrl+Shift+U",), icon="remove_face_masks"),
    ActionSpec("remove_face_mask_reference", "Remove Face Mask Using a &Reference…", "Faces",
               "Remove the face mask with an unmasked photo of the same person: their own nose, mouth and chin "
               "(a photo of someone else is refused)"),
    ActionSpec("add_face", "&Add Face by Box", "Faces", "Draw a box around a face the detector missed",
               ("F",), icon="add_face", checkable=True),
    ActionSpec("anonymize", "A&nonymize Faces", "Faces",
               "Give the selected faces (or all included faces) new identities, then review them",
               ("Ctrl+Shift+N",), icon="anonymize", separator_before=True),
    # Help
    ActionSpec("shortcuts", "&Keyboard Shortcuts", "Help", "List every keyboard shortcut", ("F1", "Ctrl+/"),
               std_icon=SP.SP_DialogHelpButton),
    ActionSpec("sample", "Open &Sample Photo", "Help", "Open a sample portrait to try Veil on"),
    ActionSpec("about", "&About Veil", "Help", "Version, device, models and their licences", separator_before=True),
)

MENU_ORDER = ("File", "Edit", "Mask", "View", "Faces", "Help")

# Commands that change or read the document: off while there is no photo or a job is using it.
EDITING = ("save", "save_as", "export", "seal_export", "undo", "redo", "clear_mask", "invert_mask", "grow_mask",
           "shrink_mask", "feather_mask", "mask_faces", "inpaint", "detect_faces", "add_face", "anonymize",
           "export_anonymized")
EDITING += ("remove_face_masks", "remove_face_mask_reference")
# Commands that need a photo but never change it.
VIEWING = ("zoom_in", "zoom_out", "zoom_fit", "zoom_actual", "compare")


class Actions:
    """The window's QActions by name: `actions["undo"]` or `actions.undo`."""

    def __init__(self, parent: QWidget) -> None:
        self._by_name: Dict[str, QAction] = {}
        style = parent.style()
        for spec in ACTION_SPECS:
            action = QAction(spec.text, parent)
            action.setObjectName(spec.name)
            if spec.keys:
                action.setShortcuts([QKeySequence(k) for k in spec.keys])
            tip = spec.tip
            if spec.keys:
                tip += f" ({QKeySequence(spec.keys[0]).toString(QKeySequence.SequenceFormat.NativeText)})"
            action.setStatusTip(spec.tip)
            action.setToolTip(tip)
            if spec.icon:
                action.setIcon(icons.icon(spec.icon))
            elif spec.std_icon is not None:
                action.setIcon(style.standardIcon(spec.std_icon))
            action.setCheckable(spec.checkable)
            if spec.hold:
                action.setProperty("holdKey", spec.hold)
            parent.addAction(action)      # shortcuts work even when the action is in no visible menu
            self._by_name[spec.name] = action

    def __getitem__(self, name: str) -> QAction:
        return self._by_name[name]

    def __getattr__(self, name: str) -> QAction:
        try:
            return self.__dict__["_by_name"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __iter__(self) -> Iterator[QAction]:
        return iter(self._by_name.values())

    def set_enabled(self, names: Tuple[str, ...], enabled: bool) -> None:
        for name in names:
            self._by_name[name].setEnabled(enabled)


def build_menus(menubar: QMenuBar, actions: Actions) -> Dict[str, QMenu]:
    """File, Edit, Mask, View, Faces and Help menus; File gets an empty 'Open Recent' submenu after Open."""
    menus: Dict[str, QMenu] = {}
    for title in MENU_ORDER:
        menus[title] = menubar.addMenu(f"&{title}")
    for spec in ACTION_SPECS:
        menu = menus[spec.menu]
        if spec.separator_before:
            menu.addSeparator()
        menu.addAction(actions[spec.name])
        if spec.name == "open":
            menus["Open Recent"] = menu.addMenu("Open &Recent")
    return menus


def menu_sections(actions: Actions) -> List[Tuple[str, List[QAction]]]:
    """(menu title, its actions) in menu order, for the shortcuts dialog."""
    return [(title, [actions[s.name] for s in ACTION_SPECS if s.menu == title]) for title in MENU_ORDER]
