#!/usr/bin/env bash
# Install a released livret binary, checked against its published SHA-256.
#
#   install-livret.sh --version vX.Y.Z --dest DIR [--base-url URL] [--target TRIPLE]
#
# --base-url is the release's download folder (default: the GitHub release of the tag; a
# file:// URL works too); --target defaults to this machine's (see target_triple below).
# Exit codes: 0 installed as DIR/livret (DIR/livret.exe on Windows); 3 no binary released for
# this version and platform (the caller may build from source); 1 anything else, a checksum
# mismatch included. Nothing is written to DIR unless the archive's checksum matches.
set -euo pipefail

version="" dest="" base_url="" target=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --dest) dest="$2"; shift 2 ;;
    --base-url) base_url="$2"; shift 2 ;;
    --target) target="$2"; shift 2 ;;
    *) echo "install-livret: unknown argument: $1" >&2; exit 1 ;;
  esac
done
if [ -z "$version" ] || [ -z "$dest" ]; then
  echo "install-livret: --version and --dest are required" >&2
  exit 1
fi
case "$version" in v*) ;; *) version="v$version" ;; esac
base_url="${base_url:-https://github.com/livret-faq/livret/releases/download/$version}"

# The release's targets (see .github/workflows/release.yml); anything else has no binary.
target_triple() {
  local os arch
  os="$(uname -s)"
  arch="$(uname -m)"
  case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$os" in
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      [ "$arch" = x86_64 ] || return 1
      echo "x86_64-pc-windows-msvc" ;;
    *) return 1 ;;
  esac
}
if [ -z "$target" ] && ! target="$(target_triple)"; then
  echo "install-livret: no released binary for $(uname -s) $(uname -m)" >&2
  exit 3
fi

case "$target" in
  *windows*) suffix=.zip exe=livret.exe ;;
  *) suffix=.tar.gz exe=livret ;;
esac
stem="livret-$version-$target"
archive="$stem$suffix"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# curl: 22 is an HTTP error (404: not released), 37 a missing file:// file.
fetch() {
  local status=0
  curl -fsSL --retry 3 -o "$work/$1" "$base_url/$1" || status=$?
  if [ "$status" -eq 22 ] || [ "$status" -eq 37 ]; then
    return 3
  fi
  return "$status"
}
status=0
fetch "$archive" || status=$?
if [ "$status" -eq 3 ]; then
  echo "install-livret: no $archive in $base_url" >&2
  exit 3
elif [ "$status" -ne 0 ]; then
  echo "install-livret: cannot download $base_url/$archive (curl exit $status)" >&2
  exit 1
fi
# A released archive without its checksum is not trusted.
if ! fetch "$archive.sha256"; then
  echo "install-livret: cannot download $base_url/$archive.sha256" >&2
  exit 1
fi

expected="$(awk '{ print $1; exit }' "$work/$archive.sha256")"
if command -v sha256sum > /dev/null; then
  actual="$(sha256sum "$work/$archive" | awk '{ print $1 }')"
else
  actual="$(shasum -a 256 "$work/$archive" | awk '{ print $1 }')"
fi
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "install-livret: checksum mismatch for $archive: expected ${expected:-nothing}, got $actual; nothing installed" >&2
  exit 1
fi

mkdir "$work/unpacked"
if [ "$suffix" = .zip ]; then
  unzip -q "$work/$archive" -d "$work/unpacked"
else
  tar -xzf "$work/$archive" -C "$work/unpacked"
fi
if [ ! -f "$work/unpacked/$stem/$exe" ]; then
  echo "install-livret: $archive holds no $stem/$exe" >&2
  exit 1
fi
mkdir -p "$dest"
chmod +x "$work/unpacked/$stem/$exe"
# Moved in whole: a reader of DIR never sees half a binary.
mv "$work/unpacked/$stem/$exe" "$dest/.$exe.partial"
mv -f "$dest/.$exe.partial" "$dest/$exe"
echo "installed $dest/$exe ($version, $target)"
