package dev.lbipam.testsupport.netbox;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import dev.lbipam.testsupport.netbox.StandInState.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process, stateful stand-in for the parts of the NetBox 4.4+ REST API that lbipam uses,
 * serving on a free loopback port. It reproduces the behaviour documented in
 * {@code shared/notes/netbox.md}:
 *
 * <ul>
 *   <li>{@code POST .../prefixes/{id}/available-ips/} and {@code .../ip-ranges/{id}/available-ips/}
 *       allocate the lowest free addresses under one lock (NetBox's advisory lock), all or nothing;
 *       a list in gives a list out (201); a full parent gives 409; an unknown parent 404;
 *   <li>what counts as free: every address of the same VRF inside the parent; IPv4 network and
 *       broadcast skipped unless {@code is_pool} (or /31, /32); the first IPv6 address skipped unless
 *       pool (or /127, /128); {@code mark_populated} ranges are full;
 *   <li>400 on a duplicate address (same VRF; roles vip, anycast... exempt), on an unknown custom
 *       field (from 4.5.8; dropped silently before), on a clash with a {@code unique} custom field,
 *       and on a {@code vrf_id} filter naming no VRF;
 *   <li>a request on a connection idle for more than 2 s dropped unanswered, as gunicorn does;
 *   <li>403 on a missing or bad token ({@code Token <40 hex>} and {@code Bearer nbt_<key>.<token>})
 *       or a missing permission; 301 for an {@code /api} path without its trailing slash (from
 *       4.5.9 only for GET; a write gets an HTML 404);
 *   <li>pagination with {@code count/next/previous/results} ({@code limit}, default 50, at most
 *       1000; {@code offset}); unknown query parameters ignored, so a {@code cf_} filter on a field
 *       that does not exist returns everything;
 *   <li>tags, custom fields ({@code filter_logic} loose/exact/disabled), and the ETag
 *       ({@code W/"<last_updated>"}) / If-Match pair of NetBox 4.6+ (412 when stale).
 * </ul>
 *
 * <p>Fault switches for tests: added latency, injected 5xx (or any) statuses, refused connections
 * ({@link #stopListening()}), and "succeeds but the reply is lost" ({@link #loseReplies}), which
 * applies the change and then drops the connection without a response. Thread-safe.
 */
public final class NetBoxStandIn implements NetBoxUnderTest {
  private static final Logger LOG = LoggerFactory.getLogger(NetBoxStandIn.class);
  /**
   * gunicorn's default keep-alive, NetBox's server: a request that arrives on a connection idle for
   * longer is dropped unanswered and the connection closed, as gunicorn does with a connection it
   * has expired but not yet shut. The client sees "unexpected end of stream", and a write it sent
   * cannot know whether it was applied (it was not).
   */
  public static final java.time.Duration IDLE_CLOSE = java.time.Duration.ofSeconds(2);

  /** A legacy (v1) token every stand-in accepts with all permissions. */
  public static final String LEGACY_TOKEN = "0123456789abcdef0123456789abcdef01234567";
  /** A v2 token (NetBox 4.5+ format) every stand-in accepts with all permissions. */
  public static final String V2_TOKEN = "nbt_lbipamtest01.b7d1c0ffee0123456789abcdef0123456789abcd";

  /** Every address the stand-in holds, as a test sees it. */
  public record RecordedAddress(
      long id, String address, Long vrfId, String status, String dnsName, String description, List<String> tags,
      Map<String, String> customFields) {

    /** The host part, without the mask. */
    public String host() {
      int slash = address.indexOf('/');
      return slash < 0 ? address : address.substring(0, slash);
    }

    public Optional<String> customField(String name) {
      return Optional.ofNullable(customFields.get(name));
    }
  }

  /** Options; {@link #start()} builds the server. */
  public static final class Builder {
    private String version = "4.7.3";
    private Boolean etags;
    private Path tlsDirectory;
    private int port;

    private Builder() {}

    /**
     * The NetBox version to behave as (default 4.7.3, the newest on PyPI): in {@code /api/status/}
     * and the {@code API-Version} header, and for what changed between versions: unknown custom
     * fields are dropped up to 4.5.7 and refused (400) from 4.5.8; a write without the trailing
     * slash is redirected (301) up to 4.5.8 and a 404 with an HTML body from 4.5.9; ETags from 4.6.
     */
    public Builder version(String value) {
      this.version = value;
      return this;
    }

    /** Whether single-object GETs carry an ETag and writes honour If-Match (default: from 4.6). */
    public Builder etags(boolean value) {
      this.etags = value;
      return this;
    }

    /**
     * Serve HTTPS with a fresh self-signed certificate for 127.0.0.1/localhost, made with the
     * JDK's keytool in {@code directory}; {@link #caCertificate()} is its PEM file.
     */
    public Builder tls(Path directory) {
      this.tlsDirectory = directory;
      return this;
    }

    /** A fixed port (default: a free one). */
    public Builder port(int value) {
      this.port = value;
      return this;
    }

    public NetBoxStandIn start() {
      return new NetBoxStandIn(this);
    }
  }

  private final Gson gson = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();
  private final StandInState state;
  private final Map<String, Set<String>> tokens = new ConcurrentHashMap<>();
  private final FaultPlan faults = new FaultPlan();
  private final SSLContext sslContext;
  private final Path caCertificate;
  private final ExecutorService executor;
  private final LoopbackListener listener;

  private NetBoxStandIn(Builder builder) {
    this.state = new StandInState(builder.version,
        builder.etags != null ? builder.etags : StandInState.compareVersions(builder.version, "4.6") >= 0);
    tokens.put("Token " + LEGACY_TOKEN, ALL);
    tokens.put("Bearer " + V2_TOKEN, ALL);
    if (builder.tlsDirectory != null) {
      try {
        Files.createDirectories(builder.tlsDirectory);
        this.caCertificate = builder.tlsDirectory.resolve("netbox-ca.pem");
        this.sslContext = selfSigned(builder.tlsDirectory, caCertificate);
      } catch (Exception e) {
        throw new IllegalStateException("could not make a TLS certificate for the stand-in", e);
      }
    } else {
      this.sslContext = null;
      this.caCertificate = null;
    }
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "netbox-stand-in");
              t.setDaemon(true);
              return t;
            });
    this.listener =
        new LoopbackListener(
            "NetBox stand-in", builder.port, sslContext, this::handle, executor, IDLE_CLOSE);
    LOG.info("NetBox stand-in listening url={}", url());
  }

  /** Marker: every permission. */
  private static final Set<String> ALL = Collections.unmodifiableSet(new java.util.HashSet<>(List.of("*")));

  public static NetBoxStandIn start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234} (the API is under {@code /api/}). */
  @Override
  public String url() {
    return (sslContext != null ? "https" : "http") + "://127.0.0.1:" + listener.port();
  }

  public int port() {
    return listener.port();
  }

  /** The PEM file of the self-signed certificate when built with {@link Builder#tls}. */
  public Path caCertificate() {
    return Objects.requireNonNull(caCertificate, "not a TLS stand-in");
  }

  // ---------------------------------------------------------------------------------------------
  // Tokens

  /**
   * Accepts another token. {@code permissions} are NetBox names such as {@code ipam.add_ipaddress}
   * or {@code extras.view_customfield}; null means all. Tokens starting with {@code nbt_} are v2
   * ({@code Bearer}), others legacy ({@code Token}).
   */
  public void addToken(String token, Set<String> permissions) {
    String scheme = token.startsWith("nbt_") ? "Bearer " : "Token ";
    tokens.put(scheme + token, permissions == null ? ALL : Set.copyOf(permissions));
  }

  /** Every permission the API checks, for building restricted tokens. */
  public static Set<String> allPermissions() {
    Set<String> all = new java.util.TreeSet<>();
    for (String model : List.of("ipam.vrf", "ipam.prefix", "ipam.iprange", "ipam.ipaddress", "extras.tag", "extras.customfield")) {
      for (String action : List.of("view", "add", "change", "delete")) {
        all.add(StandInState.permission(model, action));
      }
    }
    return all;
  }

  // ---------------------------------------------------------------------------------------------
  // Fixtures: what an operator prepares in NetBox before lbipam runs

  public long createVrf(String name) {
    JsonObject in = new JsonObject();
    in.addProperty("name", name);
    return created(write(() -> state.handle(adminRequest("POST", "/api/ipam/vrfs/", in))));
  }

  /** A prefix in the global table ({@code vrfId} null) or a VRF. */
  public long createPrefix(String cidr, Long vrfId, boolean isPool) {
    JsonObject in = new JsonObject();
    in.addProperty("prefix", cidr);
    in.addProperty("vrf", vrfId);
    in.addProperty("is_pool", isPool);
    return created(write(() -> state.createPrefix(url(), in)));
  }

  @Override
  public String controllerToken() {
    return LEGACY_TOKEN;
  }

  @Override
  public long createPrefix(String cidr) {
    return createPrefix(cidr, null, false);
  }

  /** A range; {@code start}/{@code end} carry a mask, e.g. {@code 10.0.0.10/24}. */
  public long createRange(String start, String end, Long vrfId, boolean markPopulated) {
    JsonObject in = new JsonObject();
    in.addProperty("start_address", start);
    in.addProperty("end_address", end);
    in.addProperty("vrf", vrfId);
    in.addProperty("mark_populated", markPopulated);
    return created(write(() -> state.createRange(url(), in)));
  }

  /** An address someone else recorded (no tag, no custom fields), e.g. {@code 10.0.0.5/24}. */
  @Override
  public long createAddress(String address, Long vrfId, String description) {
    JsonObject in = new JsonObject();
    in.addProperty("address", address);
    in.addProperty("vrf", vrfId);
    in.addProperty("description", description);
    return created(write(() -> state.handle(adminRequest("POST", "/api/ipam/ip-addresses/", in))));
  }

  /** Deletes an address record as a person would in the UI. */
  @Override
  public boolean deleteAddress(long id) {
    synchronized (state) {
      StandInState.Address a = state.addresses.get(id);
      if (a == null) {
        return false;
      }
      state.remove(a);
      return true;
    }
  }

  /** Sets (or with null clears) a custom field value on an address, bypassing validation. */
  public void setCustomField(long addressId, String field, String value) {
    synchronized (state) {
      StandInState.Address a = Objects.requireNonNull(state.addresses.get(addressId), "no address #" + addressId);
      a.customFields.put(field, value == null ? com.google.gson.JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(value));
      a.version++;
    }
  }

  /** Every address, ordered by id. */
  @Override
  public List<RecordedAddress> addresses() {
    synchronized (state) {
      List<RecordedAddress> out = new ArrayList<>();
      for (StandInState.Address a : state.addresses.values()) {
        Map<String, String> cfs = new LinkedHashMap<>();
        a.customFields.forEach((k, v) -> cfs.put(k, v == null || v.isJsonNull() ? null : v.getAsString()));
        List<String> slugs = a.tags.stream().map(state.tags::get).filter(Objects::nonNull).map(t -> t.slug).toList();
        out.add(new RecordedAddress(a.id, a.address.withMaskText(), a.vrf, a.status, a.dnsName, a.description, slugs, cfs));
      }
      return out;
    }
  }

  /** Addresses whose custom field {@code field} equals {@code value}. */
  public List<RecordedAddress> addressesWith(String field, String value) {
    return addresses().stream().filter(a -> value.equals(a.customFields().get(field))).toList();
  }

  public boolean customFieldExists(String name) {
    synchronized (state) {
      return state.customFields.values().stream().anyMatch(cf -> cf.name.equals(name));
    }
  }

  /** Deletes a custom field as an administrator would; its data stays on the records. */
  public void deleteCustomField(String name) {
    synchronized (state) {
      state.customFields.values().removeIf(cf -> cf.name.equals(name));
    }
  }

  public boolean tagExists(String slug) {
    synchronized (state) {
      return state.tags.values().stream().anyMatch(t -> t.slug.equals(slug));
    }
  }

  private Reply write(java.util.function.Supplier<Reply> action) {
    synchronized (state) {
      return action.get();
    }
  }

  private long created(Reply reply) {
    if (reply.status() != 201) {
      throw new IllegalArgumentException("stand-in fixture rejected (" + reply.status() + "): " + reply.body());
    }
    return reply.body().getAsJsonObject().get("id").getAsLong();
  }

  private StandInState.Request adminRequest(String method, String path, JsonElement body) {
    return new StandInState.Request(method, path, Map.of(), body, p -> true, url(), Optional.empty());
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  @Override
  public FaultPlan faults() {
    return faults;
  }

  @Override
  public void stopListening() {
    listener.stop();
  }

  @Override
  public void startListening() {
    listener.start();
  }

  public boolean listening() {
    return listener.listening();
  }

  @Override
  public synchronized void close() {
    listener.close();
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP

  private void handle(HttpExchange exchange) throws IOException {
    try {
      serve(exchange);
    } finally {
      exchange.close();
    }
  }

  private void serve(HttpExchange exchange) throws IOException {
    try {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      String rawQuery = exchange.getRequestURI().getRawQuery();
      HttpCall call = new HttpCall(method, path, rawQuery == null ? "" : rawQuery);
      Optional<Integer> injected = faults.arrived(call);
      if (injected.isPresent()) {
        send(exchange, injected.get(), detail("stand-in: injected " + injected.get()), Map.of());
        return;
      }
      if (path.startsWith("/api") && !path.endsWith("/") && !exchange.getRequestMethod().equals("GET")
          && state.atLeast("4.5.9")) {
        // From 4.5.9 only GETs are redirected; a write without the slash is Django's HTML 404.
        byte[] page = ("<!doctype html><html><head><title>Page not found</title></head><body><h1>Page not found</h1>"
            + "<p>" + path + "</p></body></html>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.sendResponseHeaders(404, page.length);
        exchange.getResponseBody().write(page);
        exchange.close();
        return;
      }
      if (path.startsWith("/api") && !path.endsWith("/")) {
        // Django's APPEND_SLASH: a permanent redirect; a client following it turns POST into GET.
        exchange.getResponseHeaders().set("Location", path + "/" + (rawQuery == null ? "" : "?" + rawQuery));
        exchange.sendResponseHeaders(301, -1);
        return;
      }
      if (!path.startsWith("/api/")) {
        send(exchange, 404, detail("Not found."), Map.of());
        return;
      }
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      if (authorization == null || authorization.isBlank()) {
        send(exchange, 403, detail("Authentication credentials were not provided."), Map.of());
        return;
      }
      Set<String> permissions = tokens.get(authorization.trim());
      if (permissions == null) {
        send(exchange, 403, detail("Invalid token"), Map.of());
        return;
      }
      JsonElement json = null;
      if (body.length > 0) {
        String contentType = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Content-Type")).orElse("");
        if (!contentType.startsWith("application/json")) {
          send(exchange, 415, detail("Unsupported media type \"" + contentType + "\" in request."), Map.of());
          return;
        }
        try {
          json = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
        } catch (JsonParseException e) {
          send(exchange, 400, detail("JSON parse error - " + e.getMessage()), Map.of());
          return;
        }
      }
      Predicate<String> can = permissions == ALL ? p -> true : permissions::contains;
      StandInState.Request request =
          new StandInState.Request(
              method, path, parseQuery(rawQuery), json, can, url(),
              Optional.ofNullable(exchange.getRequestHeaders().getFirst("If-Match")));
      Reply reply;
      synchronized (state) {
        reply = state.handle(request);
      }
      if (faults.loseReply(call, reply.status())) {
        LOG.info("stand-in dropping the reply of {} {} status={}", method, path, reply.status());
        return; // exchange.close() without headers closes the connection: the reply is lost
      }
      send(exchange, reply.status(), reply.body(), reply.headers());
    } catch (RuntimeException e) {
      LOG.warn("stand-in failed on {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      try {
        send(exchange, 500, detail("stand-in error: " + e), Map.of());
      } catch (IOException | RuntimeException ignored) {
        // the connection is already broken
      }
    }
  }

  private static JsonObject detail(String text) {
    JsonObject o = new JsonObject();
    o.addProperty("detail", text);
    return o;
  }

  private void send(HttpExchange exchange, int status, JsonElement body, Map<String, String> headers) throws IOException {
    exchange.getResponseHeaders().set("API-Version", state.version.substring(0, state.version.lastIndexOf('.')));
    headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
    if (body == null || status == 204) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    byte[] bytes = gson.toJson(body).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  static Map<String, List<String>> parseQuery(String raw) {
    Map<String, List<String>> query = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return query;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      query.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return query;
  }

  /** keytool -genkeypair, then -exportcert -rfc: no extra libraries needed. */
  private static SSLContext selfSigned(Path dir, Path pem) throws Exception {
    Path keystore = dir.resolve("netbox.p12");
    Files.deleteIfExists(keystore);
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    String password = "changeit";
    run(dir, keytool, "-genkeypair", "-alias", "netbox", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=netbox-stand-in", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keystore", keystore.toString(),
        "-storetype", "PKCS12", "-storepass", password, "-keypass", password);
    run(dir, keytool, "-exportcert", "-rfc", "-alias", "netbox", "-keystore", keystore.toString(), "-storetype", "PKCS12",
        "-storepass", password, "-file", pem.toString());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, password.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }

  private static void run(Path dir, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("keytool failed: " + out);
    }
  }

  @Override
  public String toString() {
    return "NetBoxStandIn[" + url() + "]";
  }

  /** For debugging a test: every address as JSON. */
  public String dump() {
    synchronized (state) {
      JsonArray all = new JsonArray();
      state.addresses.values().forEach(a -> all.add(state.renderAddress(url(), a)));
      return gson.toJson(all);
    }
  }
}
