#!/usr/bin/env bash
# Writes a one-layer image of Debian's busybox-static in `docker save` layout, for an agent
# started with --docker_registry=DIR:  scripts/busybox-image.sh DIR [NAME[:TAG]]
# (DIR/<name>:<tag>.tar, e.g. DIR/busybox:latest.tar). Needs busybox-static, tar, sha256sum.
set -euo pipefail
dir=$1
name=${2:-busybox:latest}
repo=${name%%:*}
tag=latest
[ "$repo" != "$name" ] && tag=${name#*:}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh cat echo ls sleep env true; do ln -s busybox "$work/rootfs/bin/$applet"; done
printf 'NAME="busybox-static image"\nID=busybox\n' >"$work/rootfs/etc/os-release"
id=$(printf '%s' "$name" | sha256sum | cut -c1-64)
mkdir -p "$work/image/$id"
tar -C "$work/rootfs" --owner=0 --group=0 --numeric-owner -cf "$work/image/$id/layer.tar" .
diff_id=sha256:$(sha256sum "$work/image/$id/layer.tar" | cut -c1-64)
echo 1.0 >"$work/image/$id/VERSION"
config='{"Cmd":["/bin/sh"],"Env":["PATH=/bin"]}'
printf '{"id":"%s","config":%s}' "$id" "$config" >"$work/image/$id/json"
printf '{"config":%s,"rootfs":{"type":"layers","diff_ids":["%s"]}}' "$config" "$diff_id" \
  >"$work/image/$id.json"
printf '[{"Config":"%s.json","RepoTags":["%s:%s"],"Layers":["%s/layer.tar"]}]' "$id" "$repo" \
  "$tag" "$id" >"$work/image/manifest.json"
printf '{"%s":{"%s":"%s"}}' "$repo" "$tag" "$id" >"$work/image/repositories"
mkdir -p "$(dirname "$dir/$repo:$tag.tar")"
tar -C "$work/image" -cf "$dir/$repo:$tag.tar" .
echo "$dir/$repo:$tag.tar"
