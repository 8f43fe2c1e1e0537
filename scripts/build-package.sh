#!/bin/bash
# Build the Debian package from this tree into OUTDIR (default: ./deb).
#   scripts/build-package.sh [--version V] [--check] [OUTDIR]
# The tree is copied first, so neither the worktree nor its parent
# directory gets build files. --version builds the same tree under another
# package version (a new changelog entry; used by the upgrade test).
# --check also runs the unit tests inside the build.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
version= out=$here/deb nocheck=nocheck
while [ $# -gt 0 ]; do
    case $1 in
    --version) version=$2; shift ;;
    --check) nocheck= ;;
    -*) echo "build-package.sh: unknown option $1" >&2; exit 2 ;;
    *) out=$1 ;;
    esac
    shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d /var/tmp/x2goserver-c-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/x2goserver-c
mkdir "$src"
# The sources as git sees them (tracked and new files, not build output);
# outside git, the tree without build directories.
if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$here" ls-files -z --cached --others --exclude-standard |
        (cd "$here" && xargs -0 cp -P --parents -t "$src" 2>/dev/null || true)
else
    tar -C "$here" --exclude='./build*' --exclude=./deb --exclude=./tests/results \
        --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
if [ -n "$version" ]; then
    { printf 'x2goserver-c (%s) unstable; urgency=medium\n\n  * Rebuild as %s.\n\n' "$version" "$version"
      printf ' -- %s  %s\n\n' "$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$src/debian/changelog" | head -n 1)" \
          "$(date -R)"
      cat "$src/debian/changelog"; } >"$src/debian/changelog.new"
    mv "$src/debian/changelog.new" "$src/debian/changelog"
fi
(cd "$src" && DEB_BUILD_OPTIONS="$nocheck parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
    { tail -n 30 "$work/build.log" >&2; exit 1; }
cp "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
ls "$out"/*.deb
