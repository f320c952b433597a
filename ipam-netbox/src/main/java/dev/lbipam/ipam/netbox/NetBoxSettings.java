package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * NetBox backend options ({@code --backend-option key=value}), resolved once with every problem
 * reported together. The token comes only from the {@code netbox-token} secret; {@link
 * #toString()} never shows it.
 *
 * @param baseUrl NetBox's base URL without {@code /api}, e.g. {@code https://netbox.example.com}
 * @param authorization the full {@code Authorization} header value ({@code Token ...} or {@code
 *     Bearer nbt_...})
 */
public record NetBoxSettings(
    String clusterId,
    URI baseUrl,
    String authorization,
    Optional<Path> tlsCaFile,
    Duration connectTimeout,
    Duration readTimeout,
    Duration callTimeout,
    Duration keepAlive,
    int retryAttempts,
    Duration retryBackoff,
    Duration circuitOpenDuration,
    Duration gcGrace,
    String tag,
    String claimField,
    String clusterField,
    Optional<String> dnsSuffix) {

  public static final String SECRET_TOKEN = "netbox-token";
  static final Set<String> OPTIONS =
      new TreeSet<>(List.of("url", "tls-ca-file", "connect-timeout", "read-timeout", "call-timeout", "keep-alive", "retry-attempts",
          "retry-backoff", "circuit-open-duration", "gc-grace", "tag", "claim-field", "cluster-field", "dns-suffix"));

  /** Reads and validates every option, reporting all problems at once (not retryable). */
  public static NetBoxSettings from(BackendContext context) {
    List<String> problems = new ArrayList<>();
    String clusterId = context.clusterId().strip();
    if (clusterId.isEmpty()) {
      problems.add("netbox mode needs a unique cluster id, because several clusters may share one NetBox: "
          + "set --cluster-id or LBIPAM_CLUSTER_ID");
    } else if (!clusterId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      problems.add("cluster id \"" + clusterId + "\" must be 1-63 of [A-Za-z0-9._-], starting with a letter or digit");
    }
    for (String key : context.options().keySet()) {
      if (!OPTIONS.contains(key)) {
        problems.add("unknown option \"" + key + "\" (known: " + String.join(", ", OPTIONS) + ")");
      }
    }
    URI url = null;
    String urlText = context.option("url").orElse("").strip();
    if (urlText.isEmpty()) {
      problems.add("set --backend-option url=https://netbox.example.com");
    } else {
      try {
        URI parsed = URI.create(urlText);
        if (!"http".equals(parsed.getScheme()) && !"https".equals(parsed.getScheme())) {
          problems.add("url must start with http:// or https://");
        } else if (parsed.getHost() == null) {
          problems.add("url has no host");
        } else if (parsed.getUserInfo() != null) {
          problems.add("url must not carry credentials; the token goes in the " + SECRET_TOKEN + " secret");
        } else {
          String path = parsed.getPath() == null ? "" : parsed.getPath();
          path = path.replaceAll("/+$", "");
          if (path.endsWith("/api")) {
            path = path.substring(0, path.length() - 4);
          }
          url = URI.create(parsed.getScheme() + "://" + parsed.getRawAuthority() + path);
        }
      } catch (IllegalArgumentException e) {
        problems.add("url is not a URI");
      }
    }
    String authorization = null;
    Optional<String> token = context.secrets().apply(SECRET_TOKEN).map(String::strip).filter(s -> !s.isEmpty());
    if (token.isEmpty()) {
      problems.add("no NetBox token: mount the " + SECRET_TOKEN + " secret as /etc/lbipam/secrets/" + SECRET_TOKEN
          + " or set LBIPAM_SECRET_NETBOX_TOKEN");
    } else {
      try {
        authorization = authorizationHeader(token.get());
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    Optional<Path> ca = context.option("tls-ca-file").filter(s -> !s.isBlank()).map(Path::of);
    if (ca.isPresent() && !Files.isReadable(ca.get())) {
      problems.add("tls-ca-file " + ca.get() + " is not readable");
    }
    Duration connect = duration(context, "connect-timeout", Duration.ofSeconds(5), problems);
    Duration read = duration(context, "read-timeout", Duration.ofSeconds(60), problems);
    Duration call = duration(context, "call-timeout", Duration.ofSeconds(90), problems);
    // Shorter than the server's: gunicorn, NetBox's server, closes a connection idle for 2 s, and a
    // write sent on a connection it is closing fails without an answer.
    Duration keepAlive = duration(context, "keep-alive", Duration.ofSeconds(1), problems);
    if (keepAlive.isZero()) {
      problems.add("keep-alive must be positive");
    }
    Duration backoff = duration(context, "retry-backoff", Duration.ofMillis(200), problems);
    Duration open = duration(context, "circuit-open-duration", Duration.ofSeconds(15), problems);
    Duration grace = duration(context, "gc-grace", Duration.ofMinutes(5), problems);
    int attempts = 3;
    Optional<String> attemptsText = context.option("retry-attempts");
    if (attemptsText.isPresent()) {
      try {
        attempts = Integer.parseInt(attemptsText.get().strip());
        if (attempts < 1 || attempts > 10) {
          problems.add("retry-attempts must be 1..10");
        }
      } catch (NumberFormatException e) {
        problems.add("retry-attempts \"" + attemptsText.get() + "\" is not a number");
      }
    }
    String tag = context.option("tag").orElse("lbipam");
    if (!tag.matches("[-a-zA-Z0-9_]{1,100}")) {
      problems.add("tag \"" + tag + "\" is not a NetBox slug (letters, digits, - and _)");
    }
    String claimField = context.option("claim-field").orElse("lbipam_claim");
    String clusterField = context.option("cluster-field").orElse("lbipam_cluster");
    for (String field : List.of(claimField, clusterField)) {
      if (!field.matches("[a-z0-9_]{1,50}") || field.contains("__")) {
        problems.add("custom field name \"" + field + "\" must be lowercase letters, digits and single underscores");
      }
    }
    if (claimField.equals(clusterField)) {
      problems.add("claim-field and cluster-field must differ");
    }
    Optional<String> dnsSuffix = context.option("dns-suffix").map(String::strip).filter(s -> !s.isEmpty())
        .map(s -> s.startsWith(".") ? s.substring(1) : s);
    if (dnsSuffix.isPresent() && !dnsSuffix.get().matches("[0-9A-Za-z_-]+(\\.[0-9A-Za-z_-]+)*\\.?")) {
      problems.add("dns-suffix \"" + dnsSuffix.get() + "\" is not a DNS name");
    }
    if (!problems.isEmpty()) {
      throw new IpamException("netbox backend: " + String.join("; ", problems), false);
    }
    return new NetBoxSettings(clusterId, url, authorization, ca, connect, read, call, keepAlive, attempts, backoff, open, grace, tag,
        claimField, clusterField, dnsSuffix);
  }

  /**
   * The {@code Authorization} value for a token: {@code Bearer} for NetBox 4.5+ v2 tokens ({@code
   * nbt_...}), {@code Token} for legacy ones. A value already carrying a scheme is kept.
   */
  static String authorizationHeader(String token) {
    String t = token.strip();
    String scheme;
    String value;
    if (t.startsWith("Token ") || t.startsWith("Bearer ")) {
      int space = t.indexOf(' ');
      scheme = t.substring(0, space);
      value = t.substring(space + 1).strip();
    } else {
      scheme = t.startsWith("nbt_") ? "Bearer" : "Token";
      value = t;
    }
    if (value.isEmpty() || !value.chars().allMatch(c -> c > 32 && c < 127)) {
      throw new IllegalArgumentException("the " + SECRET_TOKEN + " secret must be one printable token without spaces");
    }
    return scheme + " " + value;
  }

  private static Duration duration(BackendContext context, String key, Duration fallback, List<String> problems) {
    Optional<String> text = context.option(key);
    if (text.isEmpty()) {
      return fallback;
    }
    try {
      Duration d = Duration.parse(text.get().strip());
      if (d.isNegative()) {
        problems.add(key + " must not be negative");
      }
      return d;
    } catch (DateTimeParseException e) {
      problems.add(key + " \"" + text.get() + "\" is not an ISO-8601 duration such as PT5S");
      return fallback;
    }
  }

  /** The scheme of the token, never the token. */
  public String tokenKind() {
    return authorization.startsWith("Bearer") ? "v2 (Bearer)" : "legacy (Token)";
  }

  @Override
  public String toString() {
    return "NetBoxSettings[cluster=" + clusterId + ", url=" + baseUrl + ", token=" + tokenKind() + " ***"
        + ", tlsCaFile=" + tlsCaFile.map(Path::toString).orElse("-") + ", connectTimeout=" + connectTimeout
        + ", readTimeout=" + readTimeout + ", callTimeout=" + callTimeout + ", keepAlive=" + keepAlive
        + ", retryAttempts=" + retryAttempts
        + ", retryBackoff=" + retryBackoff + ", circuitOpen=" + circuitOpenDuration + ", gcGrace=" + gcGrace
        + ", tag=" + tag + ", claimField=" + claimField + ", clusterField=" + clusterField
        + ", dnsSuffix=" + dnsSuffix.orElse("-") + "]";
  }
}
