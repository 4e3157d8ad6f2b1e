//! Compiles the committed, generated parser (`src/parser.c`) and the hand-written external
//! scanner (`src/scanner.c`): a normal `cargo build` needs neither Node.js nor the tree-sitter
//! CLI (see README.md for regenerating `src/` after editing `grammar.js`).
fn main() {
    let src_dir = std::path::Path::new("src");

    let mut c_config = cc::Build::new();
    c_config.std("c11").include(src_dir);

    #[cfg(target_env = "msvc")]
    c_config.flag("-utf-8");

    for file in ["parser.c", "scanner.c"] {
        let path = src_dir.join(file);
        c_config.file(&path);
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for header in ["alloc.h", "array.h", "parser.h"] {
        println!(
            "cargo:rerun-if-changed={}",
            src_dir.join("tree_sitter").join(header).display()
        );
    }

    c_config.compile("tree-sitter-bicep-acr");
}
