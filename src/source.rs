//! Source files and byte spans.
//!
//! Every value the tool reasons about remembers where it came from as a [`Loc`]: a file in a
//! [`SourceMap`] plus a byte range. One place (this module) turns those into line/column, so the
//! TOML spec, ARM JSON and Bicep front ends all report locations the same way.

use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceMap`].
pub type FileId = u32;

/// A byte range in one source file. Cheap to copy; carried by every model value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Loc {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Loc {
            file,
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
    /// Is `other` inside this range (same file)?
    pub fn contains(&self, other: Loc) -> bool {
        self.file == other.file && self.start <= other.start && other.end <= self.end
    }
}

/// One loaded source file: its display name (as given on the command line, never made absolute,
/// so output is stable across machines) and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
    /// Built on the first [`SourceFile::line_col`]: most files of a lint run have no finding
    /// and never need it.
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let newlines = self
                .text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1);
            std::iter::once(0).chain(newlines).collect()
        })
    }

    /// 0-based line of a byte offset (offsets past the end are on the last line).
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts().binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Number of lines (a text ending with a newline has an empty last line after it).
    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// Byte range of a 0-based line, without its line break (`\n` or `\r\n`).
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let starts = self.line_starts();
        let start = starts[line] as usize;
        let mut end = starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next as usize - 1);
        if end > start && self.text.as_bytes()[end - 1] == b'\r' && end < self.text.len() {
            end -= 1;
        }
        start..end
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts()[line] as usize;
        let mut col_start = offset;
        while !self.text.is_char_boundary(col_start) {
            col_start -= 1;
        }
        let col = self.text[start..col_start].chars().count() + 1;
        (line + 1, col)
    }
}

/// The files of one unit of work (a spec, or a template with its parameter files and linked
/// templates). Findings refer to files by [`FileId`] within the map they were produced with.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        (self.files.len() - 1) as FileId
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let f = SourceFile::new("x", "ab\nçd\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'd' is byte 5 (ç is two bytes) and column 2.
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_col(100), (3, 1));
    }
}
