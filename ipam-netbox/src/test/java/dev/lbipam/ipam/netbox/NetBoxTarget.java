package dev.lbipam.ipam.netbox;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.testsupport.netbox.NetBoxStandIn;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Where the contract tests run: the in-process stand-in (always), and a real NetBox when {@code
 * NETBOX_URL} and {@code NETBOX_TOKEN} are set. The token of a real NetBox needs, besides what
 * lbipam needs, add/delete on prefixes and IP ranges, to prepare and remove its test pools. Test
 * pools are random /28s of 198.18.0.0/15 and /64s of 2001:db8::/32 that hold nothing yet.
 */
final class NetBoxTarget implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final MediaType JSON = MediaType.get("application/json");
  private static NetBoxStandIn sharedStandIn;

  final String name;
  final String url;
  final String token;
  /** For the test's own set-up and clean-up (raw calls); the client under test uses {@link #token}. */
  final String adminToken;
  final Optional<NetBoxStandIn> standIn;
  // Its own pooled connections must not outlive the server's keep-alive either (gunicorn: 2 s).
  private final OkHttpClient http = new OkHttpClient.Builder().followRedirects(false).retryOnConnectionFailure(false)
      .connectionPool(new okhttp3.ConnectionPool(4, 1, java.util.concurrent.TimeUnit.SECONDS)).build();
  private final Gson gson = new Gson();
  private final List<String> cleanup = new ArrayList<>();

  private NetBoxTarget(String name, String url, String token, Optional<NetBoxStandIn> standIn) {
    this(name, url, token, token, standIn);
  }

  private NetBoxTarget(String name, String url, String token, String adminToken, Optional<NetBoxStandIn> standIn) {
    this.name = name;
    this.url = url.replaceAll("/+$", "").replaceAll("/api$", "");
    this.token = token;
    this.adminToken = adminToken;
    this.standIn = standIn;
  }

  /**
   * The stand-in, the real NetBox built by dev/netbox/build.sh (its client runs with the
   * least-privilege token), and another NetBox when the environment names one.
   */
  static List<NetBoxTarget> all() {
    List<NetBoxTarget> targets = new ArrayList<>();
    targets.add(standIn());
    targets.add(real());
    String realUrl = System.getenv("NETBOX_URL");
    String realToken = System.getenv("NETBOX_TOKEN");
    if (realUrl != null && !realUrl.isBlank() && realToken != null && !realToken.isBlank()) {
      targets.add(new NetBoxTarget("real NetBox " + realUrl, realUrl, realToken.strip(), Optional.empty()));
    }
    return targets;
  }

  static synchronized NetBoxTarget standIn() {
    if (sharedStandIn == null) {
      sharedStandIn = NetBoxStandIn.start();
    }
    return new NetBoxTarget("stand-in", sharedStandIn.url(), NetBoxStandIn.LEGACY_TOKEN, Optional.of(sharedStandIn));
  }

  /** The real NetBox of this JVM; fails with how to build it when it is missing. */
  static NetBoxTarget real() {
    dev.lbipam.testsupport.netbox.RealNetBox netbox = dev.lbipam.testsupport.netbox.RealNetBox.shared();
    return new NetBoxTarget("real NetBox " + netbox.version(), netbox.url(), netbox.lbipamToken(), netbox.adminToken(),
        Optional.empty());
  }

  /** A target on a given stand-in (not the shared one). */
  static NetBoxTarget on(NetBoxStandIn standIn) {
    return new NetBoxTarget("stand-in", standIn.url(), NetBoxStandIn.LEGACY_TOKEN, Optional.of(standIn));
  }

  boolean isStandIn() {
    return standIn.isPresent();
  }

  String authorization() {
    return NetBoxSettings.authorizationHeader(token);
  }

  BackendContext context(String clusterId, Map<String, String> extra) {
    Map<String, String> options = new HashMap<>(extra);
    options.put("url", url);
    options.putIfAbsent("retry-backoff", "PT0.02S");
    return new BackendContext(clusterId, options, n -> n.equals(NetBoxSettings.SECRET_TOKEN) ? Optional.of(token) : Optional.empty());
  }

  NetBoxSettings settings(String clusterId) {
    return NetBoxSettings.from(context(clusterId, Map.of()));
  }

  NetBoxClient client(String clusterId) {
    return client(clusterId, Map.of(), new dev.lbipam.ipam.remote.CallMetrics());
  }

  NetBoxClient client(String clusterId, Map<String, String> options, dev.lbipam.ipam.remote.CallMetrics metrics) {
    return new NetBoxClient(NetBoxSettings.from(context(clusterId, options)), CircuitBreaker.ofDefaults("contract"), metrics);
  }

  // ---------------------------------------------------------------------------------------------
  // Raw admin calls (not through the client under test)

  record Raw(int status, JsonElement json, Response response) {}

  Raw raw(String method, String path, Object body, String authorization) {
    Request.Builder request = new Request.Builder().url(url + path).header("Accept", "application/json");
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    RequestBody requestBody = body == null ? null : RequestBody.create(gson.toJson(body), JSON);
    if (requestBody == null && (method.equals("POST") || method.equals("PATCH"))) {
      requestBody = RequestBody.create(new byte[0], JSON);
    }
    request.method(method, requestBody);
    try (Response response = http.newCall(request.build()).execute()) {
      String text = response.body().string();
      JsonElement json = text.isBlank() ? com.google.gson.JsonNull.INSTANCE : parse(text);
      return new Raw(response.code(), json, response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonElement parse(String text) {
    try {
      return JsonParser.parseString(text);
    } catch (RuntimeException e) {
      return com.google.gson.JsonNull.INSTANCE;
    }
  }

  /** A raw call with the admin token. */
  Raw raw(String method, String path, Object body) {
    return raw(method, path, body, NetBoxSettings.authorizationHeader(adminToken));
  }

  /** Creates a free test prefix of the family and returns (id, cidr). */
  Map.Entry<Long, String> freshPrefix(boolean ipv6, int length, boolean isPool) {
    for (int attempt = 0; attempt < 20; attempt++) {
      String cidr = ipv6
          ? String.format("2001:db8:%x:%x::/%d", RANDOM.nextInt(0x10000), RANDOM.nextInt(0x10000), length)
          : "198." + (18 + RANDOM.nextInt(2)) + "." + RANDOM.nextInt(256) + "."
              + RANDOM.nextInt(256 >> (32 - length)) * (1 << (32 - length)) + "/" + length;
      cidr = canonical(cidr);
      if (count("/api/ipam/ip-addresses/?parent=" + enc(cidr)) > 0 || count("/api/ipam/prefixes/?prefix=" + enc(cidr)) > 0) {
        continue;
      }
      Map<String, Object> body = new HashMap<>();
      body.put("prefix", cidr);
      body.put("is_pool", isPool);
      body.put("description", "lbipam contract test, safe to delete");
      Raw created = raw("POST", "/api/ipam/prefixes/", body);
      if (created.status() == 201) {
        long id = created.json().getAsJsonObject().get("id").getAsLong();
        cleanup.add(0, "/api/ipam/prefixes/" + id + "/");
        cleanup.add(0, "parent:" + cidr);
        return Map.entry(id, cidr);
      }
    }
    throw new IllegalStateException("no free test prefix found on " + name);
  }

  private static String canonical(String cidr) {
    dev.lbipam.ipam.spi.net.IpPrefix prefix = dev.lbipam.ipam.spi.net.IpPrefix.parse(cidr);
    return prefix.toString();
  }

  /** A new VRF with a random name; returns its id. Make it before the prefixes that hold its addresses. */
  long vrf() {
    Map<String, Object> body = new HashMap<>();
    body.put("name", "lbipam-contract-" + Long.toHexString(RANDOM.nextLong()));
    Raw created = raw("POST", "/api/ipam/vrfs/", body);
    if (created.status() != 201) {
      throw new IllegalStateException("VRF not created: " + created.status() + " " + created.json());
    }
    long id = created.json().getAsJsonObject().get("id").getAsLong();
    cleanup.add(0, "/api/ipam/vrfs/" + id + "/");
    return id;
  }

  /** A range (start/end with mask) in a fresh /24-sized area; returns its id. */
  long range(String start, String end, boolean markPopulated) {
    Map<String, Object> body = new HashMap<>();
    body.put("start_address", start);
    body.put("end_address", end);
    body.put("mark_populated", markPopulated);
    body.put("description", "lbipam contract test, safe to delete");
    Raw created = raw("POST", "/api/ipam/ip-ranges/", body);
    if (created.status() != 201) {
      throw new IllegalStateException("range not created: " + created.status() + " " + created.json());
    }
    long id = created.json().getAsJsonObject().get("id").getAsLong();
    cleanup.add(0, "/api/ipam/ip-ranges/" + id + "/");
    return id;
  }

  int count(String pathAndQuery) {
    Raw r = raw("GET", pathAndQuery, null);
    if (r.status() != 200) {
      throw new IllegalStateException("GET " + pathAndQuery + " -> " + r.status() + " " + r.json());
    }
    return r.json().getAsJsonObject().get("count").getAsInt();
  }

  List<JsonObject> list(String pathAndQuery) {
    Raw r = raw("GET", pathAndQuery, null);
    List<JsonObject> out = new ArrayList<>();
    r.json().getAsJsonObject().getAsJsonArray("results").forEach(e -> out.add(e.getAsJsonObject()));
    return out;
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Deletes every address inside the test prefixes, then the ranges and prefixes. */
  @Override
  public void close() {
    for (String item : cleanup) {
      if (item.startsWith("parent:")) {
        for (JsonObject address : list("/api/ipam/ip-addresses/?limit=1000&parent=" + enc(item.substring(7)))) {
          raw("DELETE", "/api/ipam/ip-addresses/" + address.get("id").getAsLong() + "/", null);
        }
      } else {
        raw("DELETE", item, null);
      }
    }
    cleanup.clear();
    http.connectionPool().evictAll();
  }

  @Override
  public String toString() {
    return name;
  }
}
