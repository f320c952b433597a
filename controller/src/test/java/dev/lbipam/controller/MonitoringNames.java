package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names manifest/monitoring's dashboard and alerts use, and the check that a running
 * controller exports them. Names of calls to a backend's server are exported only by the remote
 * backends (Redis, NetBox), so their ITs check those and ConfigMapModeIT checks the rest.
 */
final class MonitoringNames {
  private static final Pattern NAME = Pattern.compile("\\blbipam_[a-z_]+");
  static final Pattern REMOTE_ONLY = Pattern.compile("lbipam_backend_(calls|call_duration_seconds|events|circuit)_?[a-z_]*");

  private MonitoringNames() {}

  static Set<String> used() throws IOException {
    Path monitoring = Manifests.directory().resolve("monitoring");
    String text = Files.readString(monitoring.resolve("grafana-dashboard.json"))
        + Files.readString(monitoring.resolve("prometheus-rules.yaml"));
    Set<String> names = new TreeSet<>();
    Matcher m = NAME.matcher(text);
    while (m.find()) {
      names.add(m.group());
    }
    return names;
  }

  /** Every used name that is (remote = true) or is not a remote backend's call metric appears in the scrape. */
  static Set<String> assertExported(String scrape, boolean remote) throws IOException {
    Set<String> checked = new TreeSet<>();
    for (String name : used()) {
      if (REMOTE_ONLY.matcher(name).matches() != remote) {
        continue;
      }
      assertThat(Pattern.compile("(?m)^(# (HELP|TYPE) )?" + name + "[ {]").matcher(scrape).find())
          .as("%s is exported", name).isTrue();
      checked.add(name);
    }
    return checked;
  }
}
