//! Same input and SOURCE_DATE_EPOCH → the same bytes, for every artifact and the manifest.

use crate::common;

use common::{livret, repo};

#[test]
fn two_builds_are_byte_identical() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for dir in &dirs {
        let o = livret(&repo())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["-q", "build", "--split", "-o", dir.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let mut names: Vec<_> = std::fs::read_dir(dirs[0].path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        3 * 6 + 1,
        "book + 5 handouts in 3 formats + manifest: {names:?}"
    );
    for name in &names {
        let a = std::fs::read(dirs[0].path().join(name)).unwrap();
        let b = std::fs::read(dirs[1].path().join(name)).unwrap();
        assert!(
            a == b,
            "{} differs between two builds",
            name.to_string_lossy()
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dirs[0].path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["build_time"], 1_700_000_000);
    let artifacts = manifest["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 18);
    for artifact in artifacts {
        let bytes = std::fs::read(dirs[0].path().join(artifact["path"].as_str().unwrap())).unwrap();
        assert_eq!(artifact["bytes"], bytes.len());
        assert_eq!(
            artifact["sha256"].as_str().unwrap(),
            livret::manifest::sha256_hex(&bytes)
        );
    }
}

/// The EPUB cover and the image checks come from the cache between builds: the same bytes as
/// when they are made, a damaged entry made again and mended, no cache at all with
/// `LIVRET_CACHE_DIR=""`.
#[test]
fn the_epub_cover_cache_gives_the_bytes_a_fresh_drawing_gives() {
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let build = |name: &str, cache_dir: &str| {
        let dir = out.path().join(name);
        let o = livret(&repo())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("LIVRET_CACHE_DIR", cache_dir)
            .args(["-q", "build", "-f", "epub", "-o", dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(dir.join("decouvrir-l-opendata.epub")).unwrap()
    };
    let entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(cache.path())
            .map(|dir| dir.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    };
    let cache_dir = cache.path().to_str().unwrap();

    let drawn = build("uncached", "");
    assert!(entries().is_empty(), "no cache: nothing filed");
    let first = build("first", cache_dir);
    assert_eq!(first, drawn, "drawn and filed: the same book");
    let named = |prefix: &str| -> Vec<std::path::PathBuf> {
        entries()
            .into_iter()
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect()
    };
    let filed = named("cover-");
    assert_eq!(filed.len(), 1, "one cover filed: {:?}", entries());
    assert!(
        !named("image-").is_empty(),
        "image checks filed: {:?}",
        entries()
    );

    let filed_bytes = std::fs::read(&filed[0]).unwrap();
    let mut damaged = filed_bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xff;
    std::fs::write(&filed[0], &damaged).unwrap();
    assert_eq!(
        build("damaged", cache_dir),
        drawn,
        "a damaged entry is drawn again"
    );
    assert_eq!(std::fs::read(&filed[0]).unwrap(), filed_bytes, "and mended");
    assert_eq!(build("read", cache_dir), drawn, "read back: the same book");
}
