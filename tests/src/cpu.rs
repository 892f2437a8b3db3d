//! Process trees read from `/proc` (Linux): their CPU time — what the benchmarks charge a proxy
//! per call, and how the page-load benchmark tells that Chromium has finished starting — and
//! their members, so a browser is stopped with everything below its ChromeDriver.

use anyhow::Context;

/// CPU time (user + system) that `pid` and every process below it have used so far, in clock
/// ticks (nginx's workers are its master's children; Chromium's renderers are its zygote's,
/// which is the browser's, which is ChromeDriver's). A process that exits between the listing
/// and the read counts as zero.
pub fn ticks(pid: u32) -> anyhow::Result<u64> {
    let mut total = own_ticks(pid)?;
    for child in descendants(pid) {
        total += own_ticks(child).unwrap_or(0);
    }
    Ok(total)
}

/// Clock ticks per second of `/proc/<pid>/stat` times.
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100)
}

/// The fields of `/proc/<pid>/stat` after the command (which may hold spaces): the first is
/// the state (the 3rd field), the 12th and 13th utime and stime (the 14th and 15th).
fn stat_fields(pid: u32) -> anyhow::Result<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = stat.rsplit_once(')').context("/proc/<pid>/stat")?.1;
    Ok(rest.split_whitespace().map(str::to_owned).collect())
}

fn own_ticks(pid: u32) -> anyhow::Result<u64> {
    let fields = stat_fields(pid)?;
    let field = |i: usize| -> anyhow::Result<u64> {
        Ok(fields
            .get(i)
            .context("/proc/<pid>/stat is short")?
            .parse()?)
    };
    Ok(field(11)? + field(12)?)
}

/// Whether `pid` is a process still running (a zombie waiting for its parent counts as gone).
pub fn is_running(pid: u32) -> bool {
    stat_fields(pid).is_ok_and(|f| f.first().is_some_and(|state| state != "Z" && state != "X"))
}

/// Every process below `pid`: the children of each of its threads, recursively.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut pending = vec![pid];
    while let Some(parent) = pending.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{parent}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                found.push(child);
                pending.push(child);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_child_is_charged_to_its_parent() {
        let me = std::process::id();
        let before = ticks(me).unwrap();
        let mut child = std::process::Command::new("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 5",
            ])
            .spawn()
            .unwrap();
        // The loop takes well over a tick of CPU; wait until it shows on the child, then
        // the parent's total must include it while the child still runs.
        let child_pid = child.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while own_ticks(child_pid).unwrap_or(0) < 5 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let child_ticks = own_ticks(child_pid).unwrap();
        let after = ticks(me).unwrap();
        assert!(is_running(me) && is_running(child_pid));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!is_running(child_pid), "a reaped child is gone");
        assert!(child_ticks >= 5, "the child used {child_ticks} ticks");
        assert!(
            after >= before + child_ticks,
            "tree {before} -> {after}, child alone {child_ticks}"
        );
    }
}
