//! A small file system of a test's own (a tmpfs mounted on a temporary directory) that
//! the test fills to the last byte, so SQLite meets a real `ENOSPC`. Unmounted when
//! dropped, whatever the test did. Mounting needs root: without it the test fails and
//! says so, it does not skip.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) struct SmallDisk {
    mount: tempfile::TempDir,
}

impl SmallDisk {
    pub(crate) fn mount(megabytes: u32) -> SmallDisk {
        let mount = tempfile::tempdir().expect("tempdir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0700"), "tmpfs"])
            .arg(mount.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "a tmpfs is needed to fill a disk (run the tests as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { mount }
    }

    pub(crate) fn path(&self) -> &Path {
        self.mount.path()
    }

    fn filler(&self) -> PathBuf {
        self.mount.path().join("filler")
    }

    /// Take every free byte, until the file system answers `ENOSPC`.
    pub(crate) fn fill(&self) {
        let mut file = std::fs::File::create(self.filler()).expect("create the filler");
        let block = vec![0u8; 64 * 1024];
        let mut size = block.len();
        loop {
            match file.write(&block[..size]) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) && size > 1 => size /= 2,
                Err(e) if e.raw_os_error() == Some(28) => break,
                Err(e) => panic!("fill the disk: {e}"),
            }
        }
    }

    /// Give the space back.
    pub(crate) fn free(&self) {
        std::fs::remove_file(self.filler()).expect("remove the filler");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily, so a process still holding a file cannot keep the mount for ever.
        let _ = Command::new("umount").arg("-l").arg(self.mount.path()).status();
    }
}
