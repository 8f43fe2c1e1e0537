#!/usr/bin/python3
"""Side-by-side benchmark of x2gogetapps and x2golistdesktops (reference
in bench/refenv.sh vs ours as installed), with bench.py's timing agents.

    /usr/bin/python3 bench/apps.py [--reps N] [--apps N] [--displays N]

x2gogetapps: N (default 320) .desktop files in the bench user's
~/.x2go/applications, shaped like a desktop install's (dozens of
localised Name/Comment/GenericName/Keywords lines, MimeType, Actions
groups); 70 % of them name an icon that is a real PNG (copies of the
Adwaita theme's 48x48 icons put into hicolor), 20 % an SVG (Adwaita's
scalable icons), 10 % a missing one. Ours converts SVGs to PNG: its first
run (empty cache) is reported separately from the warm runs.

x2golistdesktops: N (default 50) Xvfb displays of the bench user.

Writes bench/RESULTS-apps.md. Needs root; no assertions on timings.
"""
import argparse
import glob
import os
import pwd
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (REFENV, USERS, WORK, Side, fmt_t, log, prepare_dbdir,  # noqa: E402
                   ratio, stats)

HICOLOR = "/usr/share/icons/hicolor"
LANGS = ["af", "ar", "ast", "be", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el",
         "en_GB", "eo", "es", "et", "eu", "fa", "fi", "fr", "ga", "gl", "he", "hi", "hr",
         "hu", "id", "is", "it", "ja", "ka", "kk", "ko", "lt", "lv", "mk", "ml", "mr",
         "ms", "nb", "nl", "nn", "pa", "pl", "pt", "pt_BR", "ro", "ru", "sk", "sl", "sr",
         "sv", "ta", "te", "th", "tr", "uk", "vi", "zh_CN", "zh_TW"]
CATS = ["Utility;TextEditor;", "Network;WebBrowser;", "AudioVideo;Player;",
        "Graphics;Viewer;", "Office;WordProcessor;", "Development;IDE;", "Game;LogicGame;",
        "System;TerminalEmulator;", "Settings;DesktopSettings;", "Education;Math;"]


def desktop_text(i, icon):
    name = "Bench App %d" % i
    lines = ["[Desktop Entry]", "Version=1.0", "Type=Application", "Name=" + name]
    lines += ["Name[%s]=%s (%s)" % (l, name, l) for l in LANGS[: 20 + i % 40]]
    lines += ["GenericName=Application %d" % i]
    lines += ["GenericName[%s]=Anwendung %d" % (l, i) for l in LANGS[: 15 + i % 30]]
    lines += ["Comment=Does useful thing number %d" % i]
    lines += ["Comment[%s]=Macht Nützliches Nummer %d (%s)" % (l, i, l)
              for l in LANGS[: 25 + i % 35]]
    lines += ["Keywords[%s]=bench;app;%d;" % (l, i) for l in LANGS[: 10 + i % 20]]
    lines += ["TryExec=true" if i % 7 == 0 else "StartupNotify=true",
              "Exec=benchapp%d %%U" % i, "Terminal=%s" % ("true" if i % 9 == 0 else "false"),
              "Icon=" + icon, "Categories=" + CATS[i % len(CATS)],
              "MimeType=text/plain;image/png;application/x-bench-%d;" % i,
              "Actions=new-window;", "", "[Desktop Action new-window]", "Name=New Window",
              "Exec=benchapp%d --new-window" % i]
    return "\n".join(lines) + "\n"


def setup_apps(user, n):
    """The user's applications and the icons they name; returns the files
    to remove afterwards."""
    pw = pwd.getpwnam(user)
    pngs = sorted(glob.glob("/usr/share/icons/Adwaita/48x48/*/*.png"))
    svgs = sorted(glob.glob("/usr/share/icons/Adwaita/scalable/*/*.svg"))
    if not pngs or not svgs:
        sys.exit("bench/apps.py: needs the Adwaita icon theme (adwaita-icon-theme)")
    apps = os.path.join(pw.pw_dir, ".x2go", "applications")
    shutil.rmtree(apps, ignore_errors=True)
    shutil.rmtree(os.path.join(pw.pw_dir, ".x2go", "cache"), ignore_errors=True)
    os.makedirs(apps)
    for d in (os.path.join(pw.pw_dir, ".x2go"), apps):
        os.chown(d, pw.pw_uid, pw.pw_gid)
    made = []
    for i in range(n):
        kind = i % 10
        if kind < 7:
            icon = "x2gobench-app-%d" % i
            dst = "%s/48x48/apps/%s.png" % (HICOLOR, icon)
            shutil.copyfile(pngs[i % len(pngs)], dst)
            made.append(dst)
        elif kind < 9:
            icon = "x2gobench-app-%d" % i
            dst = "%s/scalable/apps/%s.svg" % (HICOLOR, icon)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(svgs[i % len(svgs)], dst)
            made.append(dst)
        else:
            icon = "x2gobench-missing-%d" % i
        path = os.path.join(apps, "bench-app-%03d.desktop" % i)
        with open(path, "w") as f:
            f.write(desktop_text(i, icon))
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return made


def w_getapps(sides, user, reps, n):
    made = setup_apps(user, n)
    res, notes = {}, []
    try:
        cold = sides["ours"].run(user, ["x2gogetapps"], timeout=300) if "ours" in sides else None
        samples = {k: [] for k in sides}
        out = {}
        for i in range(reps + 1):
            for name in (list(sides) if i % 2 == 0 else list(sides)[::-1]):
                r = sides[name].run(user, ["x2gogetapps"], timeout=300)
                if r["rc"] != 0 or r["err"]:
                    notes.append("%s x2gogetapps: rc %s, stderr %r" % (name, r["rc"], r["err"][:200]))
                if i > 0:
                    samples[name].append(r["t"])
                out[name] = r["out"]
        for k, v in samples.items():
            res[k] = stats(v)
        if "ours" in out:
            res["floor"] = floor(sides["ours"], user, out["ours"], reps)
        for k, o in out.items():
            notes.append("%s: %d entries, %d icons, %d bytes of output" % (
                k, o.count("</desktop>"), o.count("<icon>"), len(o)))
        if cold:
            res["cold"] = stats([cold["t"]])
    finally:
        for p in made:
            os.unlink(p)
    return res, notes


def floor(side, user, text, reps):
    """What any command printing this menu costs through the timing agent:
    /bin/cat of the same bytes (fork, exec, the pipe, the agent's reading)."""
    path = os.path.join("/tmp", "x2gobench-menu.txt")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    try:
        return stats([side.run(user, ["/bin/cat", path], timeout=60)["t"]
                      for _ in range(reps + 1)][1:])
    finally:
        os.unlink(path)


def w_listdesktops(sides, user, reps, n):
    pw = pwd.getpwnam(user)
    procs, res, notes = [], {}, []
    first = 700
    try:
        for d in range(first, first + n):
            procs.append(subprocess.Popen(
                ["Xvfb", ":%d" % d, "-nolisten", "tcp", "-screen", "0", "64x64x8"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=lambda: (os.setgid(pw.pw_gid), os.setuid(pw.pw_uid))))
        deadline = time.time() + 30
        while time.time() < deadline and not all(
                os.path.exists("/tmp/.X11-unix/X%d" % d) for d in range(first, first + n)):
            time.sleep(0.2)
        time.sleep(1)
        samples = {k: [] for k in sides}
        for i in range(reps + 1):
            for name in (list(sides) if i % 2 == 0 else list(sides)[::-1]):
                r = sides[name].run(user, ["x2golistdesktops"], timeout=300)
                if i > 0:
                    samples[name].append(r["t"])
                if i == reps:
                    mine = [l for l in r["out"].splitlines()
                            if first <= int(l.rsplit(":", 1)[1].split(".")[0]) < first + n]
                    notes.append("%s: %d of the %d bench displays listed (rc %s)"
                                 % (name, len(mine), n, r["rc"]))
        res = {k: stats(v) for k, v in samples.items()}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
    return res, notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--apps", type=int, default=320)
    ap.add_argument("--displays", type=int, default=50)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "RESULTS-apps.md"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/apps.py: must run as root")
    subprocess.run([REFENV, "setup"], check=True)
    user = USERS[0]
    if subprocess.run(["id", user], capture_output=True).returncode:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", user], check=True)
    os.makedirs(WORK, exist_ok=True)
    sides = {"ref": Side("ref", prepare_dbdir("ref", [REFENV, "run"]))}
    if os.path.exists("/usr/bin/x2gogetapps"):
        sides["ours"] = Side("ours", prepare_dbdir(
            "ours", ["unshare", "--mount", "--propagation", "private", "--"]))
    rows, notes = [], []
    try:
        r, n = w_getapps(sides, user, a.reps, a.apps)
        rows.append(("x2gogetapps, %d .desktop files, warm" % a.apps, r))
        if "floor" in r:
            rows.append(("floor: /bin/cat of the same menu through the timing agent",
                         {"ours": r["floor"]}))
        if "cold" in r:
            rows.append(("x2gogetapps, ours, first run (converts %d SVGs)" % (a.apps // 5),
                         {"ours": r["cold"]}))
        notes += n
        r, n = w_listdesktops(sides, user, a.reps, a.displays)
        rows.append(("x2golistdesktops, %d displays of the user" % a.displays, r))
        notes += n
    finally:
        for s in sides.values():
            s.close()
    text = ["# x2gogetapps / x2golistdesktops: ours vs the reference", "",
            "Run %s UTC on %s; medians (min – max, n)." % (
                time.strftime("%Y-%m-%d %H:%M", time.gmtime()), os.uname().nodename), "",
            "| workload | reference | ours | ratio |", "|---|---|---|---|"]
    for name, r in rows:
        text.append("| %s | %s | %s | %s |" % (name, fmt_t(r.get("ref")), fmt_t(r.get("ours")),
                                              ratio(r.get("ref"), r.get("ours"))))
    text += ["", "Notes:", ""] + ["* " + n for n in notes]
    with open(a.out, "w") as f:
        f.write("\n".join(text) + "\n")
    log("wrote", a.out)
    print("\n".join(text))


if __name__ == "__main__":
    main()
