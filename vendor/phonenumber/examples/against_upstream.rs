//! Compares this crate with upstream phonenumber 0.3.10: every example
//! number of every region in national, international, RFC 3966 and
//! extension forms, plus hand-picked inputs, parsed by both; prints any input
//! whose E.164, international, national or RFC 3966 form, validity, region
//! or extension differs. With an argument (`upstream` or `fork`) it times the
//! first parse in the process and 10,000 parses after it instead.
//! Run: `cargo run --release --example against_upstream [upstream|fork]`.
fn describe_u(r: Result<upstream::PhoneNumber, upstream::ParseError>) -> String {
    match r {
        Err(e) => format!("err {e:?}"),
        Ok(n) => format!("{} {} {} {} valid={} {:?} {:?}",
            n.format().mode(upstream::Mode::E164), n.format().mode(upstream::Mode::International),
            n.format().mode(upstream::Mode::National), n.format().mode(upstream::Mode::Rfc3966),
            upstream::is_valid(&n), n.country().id(), n.extension().map(|e| e.to_string())),
    }
}
fn describe_f(r: Result<phonenumber::PhoneNumber, phonenumber::ParseError>) -> String {
    match r {
        Err(e) => format!("err {e:?}"),
        Ok(n) => format!("{} {} {} {} valid={} {:?} {:?}",
            n.format().mode(phonenumber::Mode::E164), n.format().mode(phonenumber::Mode::International),
            n.format().mode(phonenumber::Mode::National), n.format().mode(phonenumber::Mode::Rfc3966),
            phonenumber::is_valid(&n), n.country().id(), n.extension().map(|e| e.to_string())),
    }
}
fn main() {
    if let Some(mode) = std::env::args().nth(1) {
        let t = std::time::Instant::now();
        let ok = if mode == "upstream" { upstream::parse(None, "+1 212 555 0100").is_ok() } else { phonenumber::parse(None, "+1 212 555 0100").is_ok() };
        let first = t.elapsed();
        let t = std::time::Instant::now();
        for i in 0..10_000u32 {
            let s = format!("(212) 555-{:04}", i);
            if mode == "upstream" { let _ = upstream::parse(Some(upstream::country::Id::US), &s); } else { let _ = phonenumber::parse(Some(phonenumber::country::Id::US), &s); }
        }
        println!("{mode}: first parse {first:?} ok={ok}, then 10k US parses {:?}", t.elapsed());
        return;
    }
    let xml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/PhoneNumberMetadata.xml")).unwrap();
    // every <exampleNumber> with its territory id
    let mut examples = Vec::new();
    let mut territory = String::new();
    for line in xml.lines() {
        if let Some(i) = line.find("<territory id=\"") { territory = line[i + 15..].split('"').next().unwrap().to_string(); }
        if let Some(i) = line.find("<exampleNumber>") { examples.push((territory.clone(), line[i + 15..].split('<').next().unwrap().to_string())); }
    }
    let mut inputs: Vec<(Option<String>, String)> = Vec::new();
    for (t, ex) in &examples {
        inputs.push((Some(t.clone()), ex.clone()));
        inputs.push((Some(t.clone()), format!("{ex} ext. 12")));
        inputs.push((Some(t.clone()), format!("({}) {}-{}", &ex[..ex.len().min(3)], &ex[ex.len().min(3)..], "")));
        inputs.push((None, format!("tel:{ex};phone-context=+1")));
    }
    // round-trip every example through upstream's international format, parsed with no region
    for (t, ex) in &examples {
        if let Ok(id) = t.parse::<upstream::country::Id>() {
            if let Ok(n) = upstream::parse(Some(id), ex) {
                inputs.push((None, n.format().mode(upstream::Mode::International).to_string()));
                inputs.push((Some(t.clone()), n.format().mode(upstream::Mode::National).to_string()));
            }
        }
    }
    for s in ["(555) 010-1234", "555.010.1234", "+1 555 010 1234", "1-555-010-1234", "+1 (212) 555-0100 x 42", "212 555 0100 ext 7",
        "２１２５５５０１００", "٢١٢٥٥٥٠١٠٠", "+44 20 7946 0958", "020 7946 0958", "0800-4-PIZZA", "1-800-FLOWERS", "  +1 212-555-0100 . ", "212-555-0100#",
        "+1 212 555 0100 / x2", "12. March", "1110@gmail.com", "", "+", "++1 212 555 0100", "001 212 555 0100", "011 44 20 7946 0958", "+1 212 555 0100;ext=5"] {
        inputs.push((Some("US".into()), s.into()));
        inputs.push((None, s.into()));
    }
    let (mut same, mut differ) = (0, 0);
    for (region, input) in &inputs {
        let u = describe_u(upstream::parse(region.as_ref().and_then(|r| r.parse().ok()), input));
        let f = describe_f(phonenumber::parse(region.as_ref().and_then(|r| r.parse().ok()), input));
        if u == f { same += 1 } else { differ += 1; if differ <= 30 { println!("{region:?} {input:?}\n  upstream {u}\n  fork     {f}"); } }
    }
    println!("inputs {} same {same} differ {differ}", inputs.len());
}
