//! Reading packs from the file system (not available in the wasm build).

use crate::error::{Error, ErrorKind, Result};
use crate::pack::{self, ParsedPack, Resolver, SourceFile, MAX_FILE_BYTES};
use std::path::{Path, PathBuf};

fn read(path: &Path) -> Result<SourceFile> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read pack: {}", io_reason(&e)),
        )
        .in_file(&name)
    })?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(Error::new(
            ErrorKind::Limit,
            format!(
                "pack file is {} bytes; the limit is {MAX_FILE_BYTES}",
                meta.len()
            ),
        )
        .in_file(&name));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read pack: {}", io_reason(&e)),
        )
        .in_file(&name)
    })?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let hint = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            "; it looks like UTF-16: save it as UTF-8"
        } else {
            ""
        };
        let err = Error::new(
            ErrorKind::Syntax,
            format!("pack is not valid UTF-8 (first bad byte at offset {at}){hint}"),
        );
        // Point at the bad byte: the bytes before it are valid UTF-8.
        match std::str::from_utf8(&bytes[..at]) {
            Ok(before) => err.at(pack::locate(&name, before, at)),
            Err(_) => err.in_file(&name),
        }
    })?;
    // A byte-order mark (Windows editors write one) is not part of the TOML. Taken off here, it
    // does not count as a column either, so errors on the first line point where an editor does.
    if text.starts_with('\u{FEFF}') {
        text.drain(..'\u{FEFF}'.len_utf8());
    }
    Ok(SourceFile { name, text })
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

struct DirResolver {
    base: PathBuf,
}

impl Resolver for DirResolver {
    fn resolve(
        &self,
        _main: &SourceFile,
        include: &str,
    ) -> std::result::Result<SourceFile, String> {
        let rel = Path::new(include);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(format!(
                "include '{include}' must be a path inside the pack folder"
            ));
        }
        read(&self.base.join(rel)).map_err(|e| e.to_string())
    }
}

/// Reads a pack from a `.toml` file or from a folder holding `pack.toml`.
pub(crate) fn parse_pack_path(path: &Path) -> Result<ParsedPack> {
    let main_path = if path.is_dir() {
        path.join("pack.toml")
    } else {
        path.to_path_buf()
    };
    let main = read(&main_path)?;
    let base = main_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    pack::parse_pack(main, &DirResolver { base })
}
