// External scanner of acr-cmk's Bicep grammar: the contents of strings, which the grammar's
// own lexer cannot tell from code (a `//` in `'//'` is not a comment; a multi-line string ends
// at a run of three or more quotes; `$$'''…'''` opens an interpolation with exactly `$${`).
//
// Every call does work proportional to the bytes it consumes, and no byte is consumed by more
// than a bounded number of calls (a run of `$` or `'` is read twice: once to find where the
// content ends, once as the token that follows). While tree-sitter recovers from a syntax
// error it marks every external token valid; the scanner then does nothing (the error recovery
// sentinel below), so that recovery can never make it rescan the rest of the file at every
// position. Parse time is therefore linear in the size of the input, whatever the damage.

#include "tree_sitter/alloc.h"
#include "tree_sitter/parser.h"

#include <stdint.h>
#include <string.h>
#include <wctype.h>

enum TokenType {
    STRING_CONTENT,
    MULTILINE_STRING_CONTENT,
    MULTILINE_STRING_END,
    INTERPOLATED_MULTILINE_START,
    INTERPOLATED_MULTILINE_CONTENT,
    INTERPOLATED_MULTILINE_INTERPOLATION_START,
    INTERPOLATED_MULTILINE_END,
    ERROR_RECOVERY_SENTINEL,
};

// Interpolated multi-line strings nest (an interpolation may hold another one): the number of
// `$` that opened each open string, innermost last. Deeper nesting than this is a syntax error.
#define MAX_OPEN_STRINGS 64

typedef struct {
    uint8_t depth;
    uint8_t dollars[MAX_OPEN_STRINGS];
} Scanner;

// Work done by this thread's scans, for tests that check the scanner stays linear.
static _Thread_local uint64_t scanned_chars;
static _Thread_local uint64_t scan_calls;

uint64_t tree_sitter_bicep_acr_scanned_chars(void) { return scanned_chars; }
uint64_t tree_sitter_bicep_acr_scan_calls(void) { return scan_calls; }

static inline void advance(TSLexer *lexer) {
    scanned_chars++;
    lexer->advance(lexer, false);
}

static inline void skip(TSLexer *lexer) {
    scanned_chars++;
    lexer->advance(lexer, true);
}

void *tree_sitter_bicep_external_scanner_create(void) {
    Scanner *scanner = (Scanner *)ts_calloc(1, sizeof(Scanner));
    return scanner;
}

void tree_sitter_bicep_external_scanner_destroy(void *payload) { ts_free(payload); }

unsigned tree_sitter_bicep_external_scanner_serialize(void *payload, char *buffer) {
    Scanner *scanner = (Scanner *)payload;
    buffer[0] = (char)scanner->depth;
    memcpy(buffer + 1, scanner->dollars, scanner->depth);
    return 1 + scanner->depth;
}

void tree_sitter_bicep_external_scanner_deserialize(void *payload, const char *buffer, unsigned length) {
    Scanner *scanner = (Scanner *)payload;
    scanner->depth = 0;
    if (length > 0) {
        uint8_t depth = (uint8_t)buffer[0];
        if (depth <= MAX_OPEN_STRINGS && length >= 1u + depth) {
            scanner->depth = depth;
            memcpy(scanner->dollars, buffer + 1, depth);
        }
    }
}

// `'…'` up to (not including) a quote, a backslash, a line break, `${`, or the end of input.
static bool scan_string_content(TSLexer *lexer) {
    bool has_content = false;
    for (;;) {
        int32_t c = lexer->lookahead;
        if (lexer->eof(lexer) || c == '\'' || c == '\\' || c == '\n' || c == '\r') {
            break;
        }
        if (c == '$') {
            lexer->mark_end(lexer);
            advance(lexer);
            if (lexer->lookahead == '{') {
                // The content ends before this `$`.
                lexer->result_symbol = STRING_CONTENT;
                return has_content;
            }
            has_content = true;
            continue;
        }
        advance(lexer);
        has_content = true;
    }
    lexer->mark_end(lexer);
    lexer->result_symbol = STRING_CONTENT;
    return has_content;
}

// At a run of quotes: its length (the run is consumed).
static unsigned quote_run(TSLexer *lexer) {
    unsigned run = 0;
    while (lexer->lookahead == '\'' && !lexer->eof(lexer)) {
        advance(lexer);
        run++;
    }
    return run;
}

// The content of a multi-line string, up to the run of quotes that ends it, or (interpolated,
// `dollars` > 0) up to a run of at least `dollars` `$` followed by `{`. At the end of input the
// content ends there (the parser then reports the missing `'''`).
static bool scan_multiline_content(TSLexer *lexer, enum TokenType symbol, unsigned dollars) {
    bool has_content = false;
    for (;;) {
        if (lexer->eof(lexer)) {
            break;
        }
        int32_t c = lexer->lookahead;
        if (c == '\'') {
            lexer->mark_end(lexer);
            if (quote_run(lexer) >= 3) {
                lexer->result_symbol = symbol;
                return has_content;
            }
            has_content = true;
            continue;
        }
        if (c == '$' && dollars > 0) {
            lexer->mark_end(lexer);
            unsigned run = 0;
            while (lexer->lookahead == '$' && !lexer->eof(lexer)) {
                advance(lexer);
                run++;
            }
            if (run >= dollars && lexer->lookahead == '{') {
                lexer->result_symbol = symbol;
                return has_content;
            }
            has_content = true;
            continue;
        }
        advance(lexer);
        has_content = true;
    }
    lexer->mark_end(lexer);
    lexer->result_symbol = symbol;
    return has_content;
}

// `$…$'''` opening an interpolated multi-line string.
static bool scan_interpolated_start(Scanner *scanner, TSLexer *lexer) {
    while (iswspace(lexer->lookahead) || lexer->lookahead == 0xFEFF) {
        skip(lexer);
    }
    if (lexer->lookahead != '$') {
        return false;
    }
    unsigned dollars = 0;
    while (lexer->lookahead == '$' && !lexer->eof(lexer)) {
        advance(lexer);
        dollars++;
    }
    for (int i = 0; i < 3; i++) {
        if (lexer->lookahead != '\'') {
            return false;
        }
        advance(lexer);
    }
    if (dollars > UINT8_MAX || scanner->depth >= MAX_OPEN_STRINGS) {
        return false;
    }
    scanner->dollars[scanner->depth++] = (uint8_t)dollars;
    lexer->mark_end(lexer);
    lexer->result_symbol = INTERPOLATED_MULTILINE_START;
    return true;
}

bool tree_sitter_bicep_external_scanner_scan(void *payload, TSLexer *lexer, const bool *valid_symbols) {
    Scanner *scanner = (Scanner *)payload;
    scan_calls++;

    if (valid_symbols[ERROR_RECOVERY_SENTINEL]) {
        return false;
    }

    if (valid_symbols[STRING_CONTENT]) {
        return scan_string_content(lexer);
    }

    if (valid_symbols[MULTILINE_STRING_CONTENT] || valid_symbols[MULTILINE_STRING_END]) {
        if (valid_symbols[MULTILINE_STRING_END] && lexer->lookahead == '\'') {
            // A run of three or more quotes ends the string; a shorter one is content.
            lexer->mark_end(lexer);
            unsigned run = quote_run(lexer);
            if (run >= 3) {
                lexer->mark_end(lexer);
                lexer->result_symbol = MULTILINE_STRING_END;
                return true;
            }
            if (!valid_symbols[MULTILINE_STRING_CONTENT]) {
                return false;
            }
            // Not the end: those quotes begin the content.
            scan_multiline_content(lexer, MULTILINE_STRING_CONTENT, 0);
            lexer->result_symbol = MULTILINE_STRING_CONTENT;
            return true;
        }
        if (valid_symbols[MULTILINE_STRING_CONTENT]) {
            return scan_multiline_content(lexer, MULTILINE_STRING_CONTENT, 0);
        }
        return false;
    }

    if (scanner->depth > 0 &&
        (valid_symbols[INTERPOLATED_MULTILINE_CONTENT] || valid_symbols[INTERPOLATED_MULTILINE_END] ||
         valid_symbols[INTERPOLATED_MULTILINE_INTERPOLATION_START])) {
        unsigned dollars = scanner->dollars[scanner->depth - 1];
        int32_t c = lexer->lookahead;
        if (c == '\'' && valid_symbols[INTERPOLATED_MULTILINE_END]) {
            lexer->mark_end(lexer);
            unsigned run = quote_run(lexer);
            if (run >= 3) {
                lexer->mark_end(lexer);
                scanner->depth--;
                lexer->result_symbol = INTERPOLATED_MULTILINE_END;
                return true;
            }
            if (!valid_symbols[INTERPOLATED_MULTILINE_CONTENT]) {
                return false;
            }
            scan_multiline_content(lexer, INTERPOLATED_MULTILINE_CONTENT, dollars);
            lexer->result_symbol = INTERPOLATED_MULTILINE_CONTENT;
            return true;
        }
        if (c == '$' && valid_symbols[INTERPOLATED_MULTILINE_INTERPOLATION_START]) {
            // Either an interpolation (`$`×n `{`, possibly after extra `$`, which are part of
            // the value; the front end reads them from the text) or content.
            lexer->mark_end(lexer);
            unsigned run = 0;
            while (lexer->lookahead == '$' && !lexer->eof(lexer)) {
                advance(lexer);
                run++;
            }
            if (run >= dollars && lexer->lookahead == '{') {
                advance(lexer);
                lexer->mark_end(lexer);
                lexer->result_symbol = INTERPOLATED_MULTILINE_INTERPOLATION_START;
                return true;
            }
            if (!valid_symbols[INTERPOLATED_MULTILINE_CONTENT]) {
                return false;
            }
            scan_multiline_content(lexer, INTERPOLATED_MULTILINE_CONTENT, dollars);
            lexer->result_symbol = INTERPOLATED_MULTILINE_CONTENT;
            return true;
        }
        if (valid_symbols[INTERPOLATED_MULTILINE_CONTENT]) {
            return scan_multiline_content(lexer, INTERPOLATED_MULTILINE_CONTENT, dollars);
        }
        return false;
    }

    if (valid_symbols[INTERPOLATED_MULTILINE_START]) {
        return scan_interpolated_start(scanner, lexer);
    }

    return false;
}
