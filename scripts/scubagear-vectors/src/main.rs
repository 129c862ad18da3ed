//! Derives test vectors (input settings, policy id, expected RequirementMet) from ScubaGear's
//! Rego unit tests, by evaluating each test's own input with the regorus Rego interpreter.
//!
//! Usage: scubagear-vectors SCUBAGEAR_DIR RELEASE COMMIT OUT.json
//! where SCUBAGEAR_DIR is a checkout (or `git archive`) of cisagov/ScubaGear holding
//! `PowerShell/ScubaGear/Rego` and `PowerShell/ScubaGear/Testing/Unit/Rego`.
//!
//! How: in memory only, each test rule `test_NAME if { ... }` that asserts one verdict
//! (`TestResult`/`TestResultContains`) is rewritten into an element of a set rule `vectors`:
//! the statement `X := <product>.tests with input... as ...` keeps its `with` modifiers but
//! evaluates `input` itself instead of the product's rules, and the assertion's arguments are
//! kept as a list. Evaluating `vectors` then yields, per test, the exact input the test builds,
//! the policy it asserts on and the verdict it expects. Each vector is then checked by running
//! the product's own policy on that input with regorus: the result's `Criticality` (whether
//! ScubaGear decides the policy) is recorded, and `reproduced_by_regorus` says whether regorus
//! gave the verdict the test expects (ScubaGear runs its tests with OPA; where regorus differs
//! from OPA, the test's own expectation is kept).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use regex::Regex;
use serde_json::{Value, json};

/// Test folder, Rego package of the product's policy.
const PRODUCTS: &[(&str, &str)] = &[
    ("AAD", "aad"),
    ("Defender", "defender"),
    ("EXO", "exo"),
    ("PowerPlatform", "powerplatform"),
    ("Sharepoint", "sharepoint"),
    ("Teams", "teams"),
];

fn rego_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(rego_files(&p)?);
        } else if p.extension().is_some_and(|x| x == "rego") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Splits a test file into its leading text and its `test_` rules (name, text).
fn split_rules(text: &str) -> (String, Vec<(String, String)>) {
    let start = Regex::new(r"(?m)^test_(\w+) if \{").unwrap();
    let mut head = String::new();
    let mut rules = Vec::new();
    let starts: Vec<_> = start.captures_iter(text).collect();
    if starts.is_empty() {
        return (text.to_string(), rules);
    }
    head.push_str(&text[..starts[0].get(0).unwrap().start()]);
    for (i, c) in starts.iter().enumerate() {
        let from = c.get(0).unwrap().start();
        let to = starts
            .get(i + 1)
            .map_or(text.len(), |n| n.get(0).unwrap().start());
        rules.push((format!("test_{}", &c[1]), text[from..to].to_string()));
    }
    (head, rules)
}

/// Rewrites one test rule into a `vectors` element, or `None` when it asserts no single verdict.
fn rewrite(label: &str, rule: &str, pkg: &str) -> Option<String> {
    let output = Regex::new(&format!(r"(\w+) := {pkg}\.tests\b")).unwrap();
    let assert = Regex::new(r"(?m)^(\s*)TestResult(?:Contains)?\((.*)\) == true\s*$").unwrap();
    let header = Regex::new(r"^test_\w+ if \{").unwrap();
    if !output.is_match(rule) || !assert.is_match(rule) {
        return None;
    }
    let first = output.captures(rule)?[1].to_string();
    let rule = output.replace_all(rule, "$1 := __input");
    let mut m = 0;
    let rule = assert.replace_all(&rule, |c: &regex::Captures| {
        m += 1;
        let var = if m == 1 {
            "__r".to_string()
        } else {
            format!("__r{m}")
        };
        format!("{}{var} := [{}]", &c[1], &c[2])
    });
    let head = format!(
        "vectors contains {{\"test\": {}, \"policy\": __r[0], \"expected\": __r[3], \"input\": {first}}} if {{",
        serde_json::to_string(label).unwrap()
    );
    Some(header.replace(&rule, head.as_str()).into_owned())
}

/// The index of the bracket closing the one at `open` (strings skipped), or the text's end.
fn closing(text: &str, open: usize) -> usize {
    let (mut depth, mut in_str, mut escaped) = (0i32, false, false);
    for (i, c) in text[open..].char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => {
                depth -= 1;
                if depth == 0 {
                    return open + i;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// A policy file's text as regorus 0.14 can compile it. regorus rejects a local variable that
/// shadows a rule of the package or a variable of the enclosing body (`var used before
/// definition`), which OPA accepts. Such locals are renamed: the variable a comprehension binds
/// with `some X in`, within that comprehension, and one rule of DefenderConfig.rego whose local
/// `Rules` shadows the rule `Rules`. Verdicts are unchanged, and each vector is checked against
/// the rewritten policy (see `main`).
fn compilable(path: &Path, text: String) -> String {
    let mut text = text;
    if path.ends_with("DefenderConfig.rego")
        && let Some(from) = text.find("SensitiveRules contains {")
    {
        let to = text[from..].find("\n}\n").map_or(text.len(), |i| from + i);
        let local = Regex::new(r"\bRules\b").unwrap();
        text = format!(
            "{}{}{}",
            &text[..from],
            local.replace_all(&text[from..to], "DlpRule"),
            &text[to..]
        );
    }
    let comprehension = Regex::new(r"[\[{]\s*[^|\[\]{}]*?\|\s*some (\w+) in\b").unwrap();
    let mut at = 0;
    let mut n = 0;
    while let Some((start, var)) = comprehension
        .captures_at(&text, at)
        .map(|c| (c.get(0).unwrap().start(), c[1].to_string()))
    {
        let end = closing(&text, start);
        n += 1;
        let renamed = Regex::new(&format!(r"\b{var}\b"))
            .unwrap()
            .replace_all(&text[start..end], format!("{var}C{n}").as_str())
            .into_owned();
        text = format!("{}{renamed}{}", &text[..start], &text[end..]);
        at = start + 1;
    }
    text
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, root, release, commit, out] = args.as_slice() else {
        bail!("usage: scubagear-vectors SCUBAGEAR_DIR RELEASE COMMIT OUT.json");
    };
    let root = Path::new(root).join("PowerShell/ScubaGear");
    let policies = rego_files(&root.join("Rego"))?;
    let mut all = Vec::new();
    let mut failures = 0;
    let mut unverified = 0;
    for (folder, pkg) in PRODUCTS {
        let mut engine = regorus::Engine::new();
        engine.set_strict_builtin_errors(false);
        let mut limits = regorus::PolicyLengthConfig::default();
        limits.max_col = std::num::NonZeroU32::new(1 << 20).unwrap();
        engine.set_policy_length_config(limits);
        for p in &policies {
            let text = std::fs::read_to_string(p)?;
            engine.add_policy(p.display().to_string(), compilable(p, text))?;
        }
        let dir = root.join("Testing/Unit/Rego").join(folder);
        let (mut seen, mut kept) = (0, 0);
        for f in rego_files(&dir)? {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&f)?;
            let rel = format!("{folder}/{name}");
            if name.contains("BaseConfig") {
                engine.add_policy(rel, format!("{text}\n__input := input\n"))?;
                continue;
            }
            let (head, rules) = split_rules(&text);
            let mut body = head;
            for (test, rule) in rules {
                seen += 1;
                match rewrite(&format!("{rel}:{test}"), &rule, pkg) {
                    Some(r) => {
                        kept += 1;
                        body.push_str(&r);
                    }
                    None => eprintln!("skipped (no single verdict asserted): {rel}:{test}"),
                }
            }
            engine
                .add_policy(rel.clone(), body)
                .with_context(|| rel.clone())?;
        }
        let vectors = engine.eval_rule(format!("data.{pkg}_test.vectors"))?;
        let vectors: Value = serde_json::from_str(&vectors.to_json_str()?)?;
        let vectors = vectors.as_array().cloned().unwrap_or_default();
        eprintln!(
            "{folder}: {seen} tests, {kept} rewritten, {} vectors",
            vectors.len()
        );
        for v in vectors {
            engine.set_input(regorus::Value::from_json_str(&v["input"].to_string())?);
            let results = match engine.eval_rule(format!("data.{pkg}.tests")) {
                Ok(r) => r,
                Err(e) => {
                    unverified += 1;
                    eprintln!("not verified: {} {}: {e}", v["test"], v["policy"]);
                    regorus::Value::Null
                }
            };
            let results: Value = serde_json::from_str(&results.to_json_str()?)?;
            let own: Vec<&Value> = results
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["PolicyId"] == v["policy"])
                .collect();
            let met: Vec<&Value> = own.iter().map(|r| &r["RequirementMet"]).collect();
            let criticality = own.first().map_or(Value::Null, |r| r["Criticality"].clone());
            let reproduced = met == [&v["expected"]];
            if !results.is_null() && !reproduced {
                failures += 1;
                eprintln!(
                    "ScubaGear's verdict differs from the test's: {} {} {met:?}",
                    v["test"], v["policy"]
                );
            }
            all.push(json!({
                "test": v["test"],
                "policy": v["policy"],
                "requirement_met": v["expected"],
                "criticality": criticality,
                "reproduced_by_regorus": reproduced,
                "input": v["input"],
            }));
        }
    }
    // A vector regorus could not evaluate takes the criticality of its policy's other vectors.
    let known: BTreeMap<String, Value> = all
        .iter()
        .filter(|v| !v["criticality"].is_null())
        .map(|v| (v["policy"].as_str().unwrap_or("").to_string(), v["criticality"].clone()))
        .collect();
    for v in &mut all {
        if v["criticality"].is_null()
            && let Some(c) = known.get(v["policy"].as_str().unwrap_or(""))
        {
            v["criticality"] = c.clone();
        }
    }
    all.sort_by(|a, b| a["test"].as_str().cmp(&b["test"].as_str()));
    let mut per_policy: BTreeMap<String, usize> = BTreeMap::new();
    for v in &all {
        *per_policy
            .entry(v["policy"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    eprintln!(
        "{} vectors over {} policies; {failures} not reproduced, {unverified} not verified",
        all.len(),
        per_policy.len()
    );
    let doc = json!({
        "source": {
            "repository": "https://github.com/cisagov/ScubaGear",
            "tests": "PowerShell/ScubaGear/Testing/Unit/Rego",
            "release": release,
            "commit": commit,
            "derived_by": "scripts/scubagear-vectors",
        },
        "vectors": all,
    });
    std::fs::write(out, serde_json::to_string_pretty(&doc)? + "\n")?;
    Ok(())
}
