//! The app as a process of its own (fault tests, the bench): it binds a free port itself and
//! says which in its log, so nothing picks a port, lets it go and binds it again.

/// The port in the app's "serving" log line, which it writes once its listener is bound.
pub fn serving_port(log: &str) -> Option<u16> {
    let line = log
        .lines()
        .find(|line| line.contains("aidstation serving"))?;
    let (_, after) = line.split_once("port=")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
