#!/usr/bin/env bash
# Package one built binary as the release attaches it (and install-livret.sh and
# `cargo binstall` expect it):
#
#   package-release.sh VERSION TARGET BINARY DIST
#
# writes DIST/livret-VERSION-TARGET.tar.gz (.zip for Windows) holding the folder
# livret-VERSION-TARGET/ (the binary, README and licences), and beside it the archive's
# `.sha256` (`HASH  NAME`, as sha256sum -c reads it).
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: package-release.sh VERSION TARGET BINARY DIST" >&2
  exit 1
fi
version="$1" target="$2" binary="$3" dist="$4"
case "$version" in v*) ;; *) version="v$version" ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
stem="livret-$version-$target"

mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/$stem"
cp "$binary" "$work/$stem/"
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$work/$stem/"

case "$target" in
  *windows*)
    archive="$stem.zip"
    if command -v 7z > /dev/null; then
      (cd "$work" && 7z a -tzip -bd "$dist/$archive" "$stem" > /dev/null)
    else
      (cd "$work" && zip -qr "$dist/$archive" "$stem")
    fi
    ;;
  *)
    archive="$stem.tar.gz"
    tar -czf "$dist/$archive" -C "$work" "$stem"
    ;;
esac

cd "$dist"
if command -v sha256sum > /dev/null; then
  sha256sum "$archive" > "$archive.sha256"
else
  shasum -a 256 "$archive" > "$archive.sha256"
fi
echo "$dist/$archive"
