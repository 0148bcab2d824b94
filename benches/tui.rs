//! Frame and keystroke costs of the explorer on one 100,000-span trace, fully expanded,
//! plus the same trace in tui-tree-widget for comparison (why the span tree does not use
//! it). Run: `cargo bench --bench tui`. Prints a table; no timing is asserted.

mod common;
use common::time;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use spanlens::load::{LoadOptions, load};
use spanlens::tui::app::App;
use spanlens::tui::keymap::{Key, KeyMap, parse_keys};
use spanlens::tui::theme::{ColorDepth, Theme};

const SPANS: usize = 100_000;

/// A trace of `SPANS` spans: a root with 100 agent steps, each with nested LLM and tool
/// calls, every 997th span an error.
fn write_trace(path: &std::path::Path) {
    let mut out = String::with_capacity(SPANS * 300);
    out.push_str(r#"{"resourceSpans":[{"scopeSpans":[{"spans":["#);
    let t0: u64 = 1_795_896_411_000_000_000;
    for i in 0..SPANS {
        let parent = match i {
            0 => String::new(),
            i if i % 1000 == 1 => format!("{:016x}", 1),
            i => format!("{:016x}", i - (i % 1000 - 1).min(i % 7 + 1)),
        };
        let status = if i % 997 == 996 {
            r#","status":{"code":2,"message":"boom"}"#
        } else {
            ""
        };
        let kind = ["chat", "execute_tool", "retrieval", "invoke_agent"][i % 4];
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"traceId":"0000000000000000000000000000000a","spanId":"{:016x}","parentSpanId":"{parent}","name":"{kind} step {i}","startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"{kind}"}}}}]{status}}}"#,
            i + 1,
            t0 + i as u64 * 1000,
            t0 + i as u64 * 1000 + 500_000 - (i as u64 % 1000) * 400,
        ));
    }
    out.push_str("]}]}]}");
    std::fs::write(path, out).unwrap();
}

fn main() {
    let dir = std::env::temp_dir().join(format!("spanlens-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.json");
    write_trace(&path);
    let set = load(&[path], &LoadOptions::default(), &|_| {}).expect("loads");
    assert_eq!(set.total_spans(), SPANS);
    let mut app = App::new(set, KeyMap::default(), Theme::new(ColorDepth::TrueColor));
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    println!("spanlens explorer, one trace of {SPANS} spans, fully expanded, 200x50 terminal");
    let mut draw = |app: &mut App| {
        term.draw(|f| spanlens::tui::view::render(f, app))
            .map(|_| ())
            .unwrap()
    };
    time("frame: render the trace view", 200, || draw(&mut app));
    let press = |app: &mut App, keys: &str| {
        for k in parse_keys(keys).unwrap() {
            app.handle_key(k);
        }
    };
    time("keystroke: j (next span) + frame", 500, || {
        press(&mut app, "j");
        draw(&mut app);
    });
    time("keystroke: PgDn + frame", 200, || {
        press(&mut app, "pagedown");
        draw(&mut app);
    });
    time("keystroke: ]e (next error, reveal) + frame", 100, || {
        press(&mut app, "]e");
        draw(&mut app);
    });
    time(
        "keystroke: c then e (collapse all, expand all) + frame",
        50,
        || {
            press(&mut app, "c");
            press(&mut app, "e");
            draw(&mut app);
        },
    );
    time("keystroke: G (last span) + frame", 100, || {
        press(&mut app, "G");
        draw(&mut app);
        app.handle_key(Key::plain('g'));
    });
    flame_chart(&mut app, &mut draw);
    tree_widget_comparison(&app);
    let _ = std::fs::remove_dir_all(dir);
}

/// tui-tree-widget on the same 100,000 spans: build the items once, then one frame.
fn tree_widget_comparison(app: &App) {
    use tui_tree_widget::{Tree, TreeItem, TreeState};
    let set = &app.set;
    let t = set.trace(spanlens::model::TraceIx(0));
    let build = || -> Vec<TreeItem<'static, u32>> {
        // Build bottom-up without recursion: children lists in pre-order, then fold.
        let n = t.span_count() as usize;
        let mut items: Vec<Option<TreeItem<'static, u32>>> = (0..n).map(|_| None).collect();
        for i in (0..n).rev() {
            let s = &set.spans[t.span_start as usize + i];
            let mut kids = Vec::new();
            let mut c = i + 1;
            while c < (s.subtree_end - t.span_start) as usize {
                kids.push(items[c].take().unwrap());
                c = (set.spans[t.span_start as usize + c].subtree_end - t.span_start) as usize;
            }
            let name = set.str(s.name).to_owned();
            items[i] = Some(TreeItem::new(i as u32, name, kids).unwrap());
        }
        vec![items[0].take().unwrap()]
    };
    let mut items = build();
    time("tui-tree-widget: build 100,000 TreeItems", 5, || {
        items = build()
    });
    let mut state = TreeState::default();
    let mut open = Vec::new();
    let mut stack = vec![(items[0].clone(), vec![0u32])];
    while let Some((item, path)) = stack.pop() {
        open.push(path.clone());
        for (k, child) in item.children().iter().enumerate() {
            if !child.children().is_empty() {
                let mut p = path.clone();
                p.push(*child.identifier());
                let _ = k;
                stack.push((child.clone(), p));
            }
        }
    }
    for p in open {
        state.open(p);
    }
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    time("tui-tree-widget: one frame, all open", 20, || {
        term.draw(|f| f.render_stateful_widget(Tree::new(&items).unwrap(), f.area(), &mut state))
            .unwrap();
    });
}

/// The flame chart of the same 100,000-span trace: one frame (every cell column of every
/// depth row bucketed), and moving the selection.
fn flame_chart(app: &mut App, draw: &mut impl FnMut(&mut App)) {
    let key = |app: &mut App, k: &str| {
        for k in parse_keys(k).unwrap() {
            app.handle_key(k);
        }
    };
    key(app, "g");
    time(
        "keystroke: f (index the trace, open the flame chart) + frame",
        50,
        || {
            key(app, "f");
            draw(app);
            key(app, "esc");
        },
    );
    key(app, "f");
    assert!(app.flame.is_some(), "f opens the flame chart");
    time("flame chart: one frame, 100,000 spans, 200x50", 200, || {
        draw(app)
    });
    time(
        "flame chart: l (next span at this depth) + frame",
        200,
        || {
            key(app, "l");
            draw(app);
        },
    );
    time("flame chart: z zoom + frame, z back + frame", 100, || {
        key(app, "z");
        draw(app);
        key(app, "z");
        draw(app);
    });
    key(app, "esc");
}
