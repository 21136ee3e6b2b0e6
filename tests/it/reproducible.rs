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
