//! The human report renderer on arbitrary spans over arbitrary text: spans past the end,
//! reversed, inside a multi-byte character, on 100,000-column lines, next to control
//! characters; messages with any character. Layout of the input:
//! `start:u32 end:u32 related_start:u32 related_end:u32 width:u8 flags:u8`, then the source
//! text, a NUL, the message.
#![no_main]

use acr_cmk::finding::{Finding, Level};
use acr_cmk::report::UnitReport;
use acr_cmk::source::{Loc, SourceMap};
use libfuzzer_sys::fuzz_target;

fn u32_at(data: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(data[i..i + 4].try_into().unwrap())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 18 {
        return;
    }
    let (head, rest) = data.split_at(18);
    let (start, end) = (u32_at(head, 0), u32_at(head, 4));
    let (related_start, related_end) = (u32_at(head, 8), u32_at(head, 12));
    let flags = head[17];
    let mut parts = acr_cmk_fuzz::files(rest).into_iter();
    let source = parts.next().unwrap_or_default();
    let message = parts.next().unwrap_or_default();
    let mut sources = SourceMap::new();
    sources.add("main.json", source.as_str());
    sources.add("p.parameters.json", message.as_str());
    let meta = acr_cmk::rules::meta("CMK001");
    let mut finding = Finding::new(
        meta,
        Loc::new(0, start as usize, end as usize),
        message.clone(),
    )
    .help(message.clone())
    .label(message.clone())
    .level(match flags & 3 {
        0 => Level::Note,
        1 => Level::Warning,
        _ => Level::Error,
    });
    if flags & 4 != 0 {
        let file = u32::from(flags & 8 != 0);
        finding = finding.related(
            Loc {
                file,
                start: related_start,
                end: related_end,
            },
            message.clone(),
        );
    }
    let unit = UnitReport {
        primary: "main.json".into(),
        sources,
        findings: vec![finding],
        unparseable: flags & 16 != 0,
        incomplete: flags & 64 != 0,
    };
    let width = usize::from(head[16]).max(1);
    let report = acr_cmk::report::Report {
        units: vec![unit],
        ..Default::default()
    };
    acr_cmk::report::human::render_report(
        &report,
        acr_cmk::report::human::Style {
            color: flags & 32 != 0,
            width,
        },
        true,
    );
    let acr_cmk::report::Report { mut units, .. } = report;
    acr_cmk_fuzz::render_every_format(units.remove(0));
});
