# The JSON and tar halves of the atomfs-image fixture (see atomfs-image).
import hashlib, json, os, stat, sys, tarfile

def put(layout, obj):
    b = json.dumps(obj, separators=(",", ":")).encode()
    d = hashlib.sha256(b).hexdigest()
    open(f"{layout}/blobs/sha256/{d}", "wb").write(b)
    return {"digest": "sha256:" + d, "size": len(b)}

def tag_manifest(layout, tag):
    index = json.load(open(f"{layout}/index.json"))
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return json.load(open(f"{layout}/blobs/sha256/{m['digest'][7:]}"))
    sys.exit(f"no tag {tag}")

def write_tag(layout, tag, descs, config=None):
    if config is None:
        config = {"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descs]},
                  "history": [{"created_by": "atomfs-image"} for _ in descs]}
    c = put(layout, config)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **c}, "layers": descs}
    m = put(layout, manifest)
    index = json.load(open(f"{layout}/index.json"))
    index["manifests"] = [x for x in index["manifests"]
                          if x.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    json.dump(index, open(f"{layout}/index.json", "w"))

def layout_cmd(layout, tag, layers):
    descs = []
    for l in layers:
        media, digest, size, *root = l.split(" ")
        d = {"mediaType": media, "digest": "sha256:" + digest, "size": int(size)}
        if root and root[0]:
            d["annotations"] = {"io.stackeroci.stacker.atomfs_verity_root_hash": root[0]}
        descs.append(d)
    write_tag(layout, tag, descs)

def tar_cmd(src, out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                p = os.path.join(root, name)
                rel = os.path.relpath(p, src)
                st = os.lstat(p)
                if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                    info = tarfile.TarInfo(os.path.join(os.path.dirname(rel), ".wh." + name))
                    t.addfile(info)
                    continue
                info = t.gettarinfo(p, rel)
                info.uname = info.gname = ""
                if info.isreg():
                    with open(p, "rb") as f:
                        t.addfile(info, f)
                else:
                    t.addfile(info)
                if stat.S_ISDIR(st.st_mode):
                    try:
                        opaque = os.getxattr(p, "user.overlay.opaque", follow_symlinks=False) == b"y"
                    except OSError:
                        opaque = False
                    if opaque:
                        t.addfile(tarfile.TarInfo(rel + "/.wh..wh..opq"))

def tamper_cmd(layout, tag, n):
    m = tag_manifest(layout, tag)
    config = json.load(open(f"{layout}/blobs/sha256/{m['config']['digest'][7:]}"))
    d = m["layers"][int(n)]
    data = bytearray(open(f"{layout}/blobs/sha256/{d['digest'][7:]}", "rb").read())
    data[100] ^= 0x01
    hexd = hashlib.sha256(data).hexdigest()
    open(f"{layout}/blobs/sha256/{hexd}", "wb").write(data)
    d["digest"] = "sha256:" + hexd
    config["rootfs"]["diff_ids"][int(n)] = d["digest"]
    write_tag(layout, tag, m["layers"], config)
    print(d["digest"])

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "layout":
        layout_cmd(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "tar":
        tar_cmd(sys.argv[2], sys.argv[3])
    elif cmd == "tamper":
        tamper_cmd(sys.argv[2], sys.argv[3], sys.argv[4])
