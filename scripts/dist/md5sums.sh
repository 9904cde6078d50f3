#!/bin/sh
# Add DEBIAN/md5sums to a .deb (cargo-deb writes none; dh_md5sums would), so
# that `dpkg --verify shipshape` can tell an admin whether an installed file
# was changed or damaged. Only the small control member is rewritten; the
# compressed data member is reused as it is. Usage: md5sums.sh FILE.deb WORKDIR
set -eu
deb=$(cd "$(dirname "$1")" && pwd)/${1##*/}
work=$2
rm -rf "$work"
mkdir -p "$work/ar" "$work/control" "$work/data"
cd "$work/ar"
ar x "$deb"
set -- control.tar.*
[ -f "$1" ] && [ -f debian-binary ] || { echo "md5sums: $deb is not a .deb" >&2; exit 3; }
control=$1
set -- data.tar.*
data=$1
tar -C ../control -xf "$control"
tar -C ../data -xf "$data"
(cd ../data && find . -type f | sed 's|^\./||' | LC_ALL=C sort |
    while IFS= read -r f; do md5sum "$f"; done) >../control/md5sums
chmod 0644 ../control/md5sums
rm "$control"
(cd ../control && tar --sort=name --owner=0 --group=0 --numeric-owner \
    ${SOURCE_DATE_EPOCH:+--mtime=@$SOURCE_DATE_EPOCH} -cf - ./control ./md5sums) | gzip -9n >control.tar.gz
rm -f "$deb"
ar Drc "$deb" debian-binary control.tar.gz "$data"
cd - >/dev/null
rm -rf "$work"
