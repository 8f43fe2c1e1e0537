"""Fixture .desktop files for x2gogetapps (shared by the integration test
and the benchmark): the shapes real files have, and the odd ones the
reference's reader still gives a defined output for."""

import os

# hicolor and pixmaps icons that Debian 12 ships in every install used here
PNG_BY_NAME = 'gvim'                                        # hicolor .../apps/gvim.png
PNG_PATH = '/usr/share/icons/hicolor/48x48/apps/gvim.png'
BIG_PNG = '/usr/share/icons/hicolor/128x128/apps/display-im6.q16.png'

FILES = {
    'editor.desktop': (
        '[Desktop Entry]\nType=Application\nName=Editor\nName[de]=Bearbeiter\n'
        'GenericName=Text Editor\nComment=Edit text\nComment[fr]=Éditer du texte\n'
        'Exec=gvim -f %%F\nTerminal=false\nIcon=%s\nCategories=Utility;TextEditor;\n'
        'MimeType=text/plain;\n' % PNG_BY_NAME),
    'abs.desktop': (
        '[Desktop Entry]\nName=Absolute\nExec=/bin/true\nIcon=%s\nCategories=X2Go-Top;\n'
        % PNG_PATH),
    'big.desktop': (
        '[Desktop Entry]\nName=Big\nExec=true\nIcon=%s\nCategories=Graphics;\n' % BIG_PNG),
    'dot.desktop': '[Desktop Entry]\nName=Dot\nExec=true\nIcon=gvim.png\n',
    'nodisplay.desktop': '[Desktop Entry]\nName=Gone\nExec=true\nNoDisplay=true\n',
    'hidden.desktop': '[Desktop Entry]\nName=Hidden\nExec=true\nHidden = true\n',
    'nogroup.desktop': 'Name=No group\nExec=true\n',
    'actions.desktop': (
        '[Desktop Entry]\nName=Actions\nExec=app\nActions=new;\n'
        '[Desktop Action new]\nName=New window\nExec=app --new\n'),
    'crlf.desktop': '[Desktop Entry]\r\nName=CRLF\r\nExec=crlf\r\n',
    'nonl.desktop': '[Desktop Entry]\nName=No newline\nExec=nonl',
    'noicon.desktop': '[Desktop Entry]\nName=No icon\nExec=true\nIcon=no-such-icon-x2go\n',
    'lower.desktop': '[Desktop Entry]\nname=lower\nEXEC=upper\nterminal=true\nicon=gvim\n',
    'backup.desktop~': '[Desktop Entry]\nName=Backup\nExec=true\n',
    'sub/nested.desktop': '[Desktop Entry]\nName=Nested\nExec=true\n',
}


def write(base, files=FILES, uid=None, gid=None):
    """Create the files under base (dirs included), owned by uid:gid."""
    for rel, text in files.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8', newline='') as f:
            f.write(text)
    if uid is not None:
        for root, dirs, names in os.walk(base):
            os.chown(root, uid, gid)
            for n in names:
                os.chown(os.path.join(root, n), uid, gid)
