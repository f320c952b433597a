package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.remote.CallMetrics;
import dev.lbipam.ipam.remote.TlsTrust;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A small typed client for the NetBox endpoints lbipam uses, on OkHttp 5. Every call goes through
 * the circuit breaker and is counted. Rules from {@code netbox.md}: always the trailing slash,
 * JSON in and out, no redirects followed (a redirected POST would become a GET), OkHttp's silent
 * retry of failed requests switched off (a retried POST could allocate twice; the backend retries
 * itself, after looking its claim up). The token is sent, never logged. Thread-safe.
 */
public final class NetBoxClient implements AutoCloseable {
  static final MediaType JSON = MediaType.get("application/json");
  static final int PAGE_SIZE = 1000;
  private static final int MAX_PAGES = 10_000;

  private final NetBoxSettings settings;
  private final HttpUrl base;
  private final OkHttpClient http;
  private final OkHttpClient reads;
  private final CircuitBreaker breaker;
  private final CallMetrics stats;
  private final Gson gson = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();
  private volatile String lastFailure = "none";
  private volatile int pageSize = PAGE_SIZE;
  private volatile boolean lastCallFailed;

  /** A definite answer: status, parsed body (JsonNull if empty or not JSON), raw text, ETag. */
  record Reply(int status, JsonElement json, String text, Optional<String> etag) {
    String detail() {
      if (json.isJsonObject() && json.getAsJsonObject().has("detail")) {
        return json.getAsJsonObject().get("detail").getAsString();
      }
      String t = text.strip();
      return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }
  }

  /** The result of POST available-ips. */
  sealed interface Allocation {
    record Created(NetBoxRecord record) implements Allocation {}

    /** 409: the pool is full. */
    record Full() implements Allocation {}

    /** 404: the pool is gone or invisible to the token. */
    record PoolMissing() implements Allocation {}

    /** 400 or 403: refused; {@code message} is NetBox's. */
    record Refused(int status, String message) implements Allocation {}
  }

  /** The result of a direct create. */
  sealed interface Creation {
    record Created(NetBoxRecord record) implements Creation {}

    record Refused(int status, String message) implements Creation {}
  }

  /** The result of a DELETE. */
  enum Deletion {
    DELETED,
    ALREADY_GONE,
    STALE
  }

  NetBoxClient(NetBoxSettings settings, CircuitBreaker breaker, CallMetrics stats) {
    this.settings = settings;
    this.base = HttpUrl.get(settings.baseUrl().toString());
    this.breaker = breaker;
    this.stats = stats;
    OkHttpClient.Builder builder =
        new OkHttpClient.Builder()
            .connectTimeout(settings.connectTimeout())
            .readTimeout(settings.readTimeout())
            .writeTimeout(settings.readTimeout())
            .callTimeout(settings.callTimeout())
            .retryOnConnectionFailure(false)
            .connectionPool(new okhttp3.ConnectionPool(8, settings.keepAlive().toMillis(), TimeUnit.MILLISECONDS))
            .followRedirects(false)
            .followSslRedirects(false);
    if (settings.tlsCaFile().isPresent()) {
      TlsTrust trust = TlsTrust.fromCaFile(settings.tlsCaFile().get());
      builder.sslSocketFactory(trust.context().getSocketFactory(), trust.trustManager());
    }
    this.http = builder.build();
    // GETs are idempotent: OkHttp may retry them once on a pooled connection the server closed.
    // Writes never: a silently repeated POST could allocate twice.
    this.reads = http.newBuilder().retryOnConnectionFailure(true).build();
  }

  String lastFailure() {
    return lastFailure;
  }

  /** True while the most recent call got no definite answer. */
  boolean lastCallFailed() {
    return lastCallFailed;
  }

  /** For tests: a smaller page size, to exercise pagination. */
  void pageSize(int value) {
    this.pageSize = value;
  }

  // ---------------------------------------------------------------------------------------------
  // Transport

  HttpUrl.Builder url(String path) {
    return base.newBuilder().addPathSegments(path);
  }

  /**
   * One HTTP exchange through the circuit breaker. Returns every definite answer (2xx-4xx) and
   * throws {@link NetBoxUnavailableException} for everything else; a redirect is a configuration
   * error ({@link NetBoxApiException}).
   */
  Reply execute(String operation, Request.Builder request) {
    Request built =
        request.header("Authorization", settings.authorization())
            .header("Accept", "application/json")
            .header("User-Agent", "lbipam-netbox/0.1")
            .build();
    if (!breaker.tryAcquirePermission()) {
      stats.record(operation, CallMetrics.CIRCUIT_OPEN, 0);
      throw new NetBoxUnavailableException(
          operation + ": NetBox circuit breaker is open after repeated failures (last: " + lastFailure + ")", true, null);
    }
    long start = System.nanoTime();
    boolean settled = false;
    OkHttpClient client = built.method().equals("GET") ? reads : http;
    try (Response response = client.newCall(built).execute()) {
      String text = response.body().string();
      long took = System.nanoTime() - start;
      int code = response.code();
      if (code >= 500 || code == 429) {
        String why = operation + ": NetBox answered " + code + " " + abbreviate(text);
        NetBoxUnavailableException failure = new NetBoxUnavailableException(why, false, null);
        breaker.onError(took, TimeUnit.NANOSECONDS, failure);
        settled = true;
        stats.record(operation, CallMetrics.SERVER_ERROR, took);
        lastFailure = why;
        lastCallFailed = true;
        throw failure;
      }
      breaker.onSuccess(took, TimeUnit.NANOSECONDS);
      settled = true;
      lastCallFailed = false;
      stats.record(operation, code >= 400 ? CallMetrics.CLIENT_ERROR : CallMetrics.OK, took);
      if (code >= 300 && code < 400) {
        throw new NetBoxApiException(operation + ": NetBox redirected (" + code + ") to " + response.header("Location")
            + "; check the url option (http/https, path)", code);
      }
      JsonElement json = JsonNull.INSTANCE;
      if (!text.isBlank()) {
        try {
          json = JsonParser.parseString(text);
        } catch (JsonParseException e) {
          json = JsonNull.INSTANCE;
        }
      }
      return new Reply(code, json, text, Optional.ofNullable(response.header("ETag")));
    } catch (IOException e) {
      long took = System.nanoTime() - start;
      String why = operation + ": " + describe(e);
      NetBoxUnavailableException failure = new NetBoxUnavailableException(why, false, e);
      settled = true;
      breaker.onError(took, TimeUnit.NANOSECONDS, failure);
      stats.record(operation, CallMetrics.IO_ERROR, took);
      lastFailure = why;
      lastCallFailed = true;
      throw failure;
    } finally {
      if (!settled) {
        breaker.releasePermission();
      }
    }
  }

  private static String describe(IOException e) {
    if (e instanceof ConnectException) {
      return "cannot connect to NetBox (" + e.getMessage() + ")";
    }
    if (e instanceof SocketTimeoutException || e instanceof InterruptedIOException) {
      return "NetBox did not answer in time (" + e.getMessage() + "); the outcome is unknown";
    }
    return "connection to NetBox failed (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "); the outcome is unknown";
  }

  private static String abbreviate(String text) {
    String t = text.strip().replaceAll("\\s+", " ");
    return t.length() > 200 ? t.substring(0, 200) + "..." : t;
  }

  private Reply get(String operation, HttpUrl url) {
    return execute(operation, new Request.Builder().url(url).get());
  }

  private Reply send(String operation, String method, HttpUrl url, JsonElement body, Optional<String> ifMatch) {
    Request.Builder request = new Request.Builder().url(url);
    if (body == null) {
      request.method(method, method.equals("DELETE") ? null : RequestBody.create(new byte[0], JSON));
    } else {
      request.method(method, RequestBody.create(gson.toJson(body), JSON));
      request.header("Content-Type", "application/json");
    }
    ifMatch.ifPresent(tag -> request.header("If-Match", tag));
    return execute(operation, request);
  }

  private static NetBoxApiException unexpected(String operation, Reply reply, String permission) {
    if (reply.status() == 403) {
      return new NetBoxApiException(operation + ": NetBox refused (403 \"" + reply.detail() + "\"): the token is invalid or lacks "
          + "permission " + permission, 403);
    }
    return new NetBoxApiException(operation + ": unexpected NetBox answer " + reply.status() + " " + reply.detail(), reply.status());
  }

  // ---------------------------------------------------------------------------------------------
  // Generic reads

  /** GET a list endpoint, every page (following {@code next}). */
  List<JsonObject> listAll(String operation, String path, Map<String, List<String>> query, String permission) {
    List<JsonObject> all = new ArrayList<>();
    int offset = 0;
    for (int page = 0; page < MAX_PAGES; page++) {
      HttpUrl.Builder url = url(path);
      query.forEach((k, values) -> values.forEach(v -> url.addQueryParameter(k, v)));
      url.addQueryParameter("limit", String.valueOf(pageSize));
      url.addQueryParameter("offset", String.valueOf(offset));
      Reply reply = get(operation, url.build());
      if (reply.status() != 200 || !reply.json().isJsonObject()) {
        throw unexpected(operation, reply, permission);
      }
      JsonObject body = reply.json().getAsJsonObject();
      JsonArray results = body.getAsJsonArray("results");
      if (results == null) {
        throw new NetBoxApiException(operation + ": NetBox list without results", reply.status());
      }
      results.forEach(e -> all.add(e.getAsJsonObject()));
      JsonElement next = body.get("next");
      // Follow "next", but from our own base URL: behind a proxy NetBox may build it with another
      // scheme or host. The offset is what we have read so far.
      if (next == null || next.isJsonNull() || results.isEmpty()) {
        return all;
      }
      offset += results.size();
    }
    throw new NetBoxApiException(operation + ": more than " + MAX_PAGES + " pages", 200);
  }

  private static Map<String, List<String>> query(String... keyValues) {
    Map<String, List<String>> q = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      q.computeIfAbsent(keyValues[i], k -> new ArrayList<>()).add(keyValues[i + 1]);
    }
    return q;
  }

  // ---------------------------------------------------------------------------------------------
  // Status, tags, custom fields, VRFs

  /** {@code netbox-version} from {@code /api/status/}. */
  String version() {
    Reply reply = get("status", url("api/status/").build());
    if (reply.status() == 403) {
      throw new NetBoxApiException("NetBox rejected the token (403 \"" + reply.detail() + "\") on GET /api/status/: check the "
          + NetBoxSettings.SECRET_TOKEN + " secret (legacy tokens are 40 hex characters, v2 tokens start with nbt_)", 403);
    }
    if (reply.status() != 200 || !reply.json().isJsonObject()) {
      throw unexpected("status", reply, "(none)");
    }
    JsonElement v = reply.json().getAsJsonObject().get("netbox-version");
    return v == null || v.isJsonNull() ? "unknown" : v.getAsString();
  }

  /** Objects of a list endpoint whose {@code field} equals {@code value}, checked client-side. */
  List<JsonObject> findBy(String operation, String path, String field, String value, String permission) {
    List<JsonObject> found = new ArrayList<>();
    for (JsonObject o : listAll(operation, path, query(field, value), permission)) {
      JsonElement actual = o.get(field);
      if (actual != null && actual.isJsonPrimitive() && actual.getAsString().equals(value)) {
        found.add(o);
      }
    }
    return found;
  }

  /** POST one object; returns the reply (201 or a definite refusal) for the caller to judge. */
  Reply create(String operation, String path, JsonObject body) {
    return send(operation, "POST", url(path).build(), body, Optional.empty());
  }

  Optional<Long> findVrfId(String name) {
    List<JsonObject> found = findBy("resolve_vrf", "api/ipam/vrfs/", "name", name, "ipam.view_vrf");
    if (found.size() > 1) {
      throw new NetBoxApiException("VRF name \"" + name + "\" is not unique in NetBox; refer to the pool by #id", 200);
    }
    return found.stream().findFirst().map(o -> o.get("id").getAsLong());
  }

  // ---------------------------------------------------------------------------------------------
  // Pools

  /** The prefix with exactly this CIDR in the VRF (or the global table). */
  Optional<NetBoxPool> findPrefix(IpPrefix prefix, Optional<Long> vrfId) {
    Map<String, List<String>> q = query("prefix", prefix.toString(), "vrf_id", vrfId.map(String::valueOf).orElse("null"));
    for (JsonObject o : listAll("resolve_prefix", "api/ipam/prefixes/", q, "ipam.view_prefix")) {
      NetBoxPool pool = prefixOf(o);
      if (pool.span().equals(prefix.toRange()) && pool.maskLength() == prefix.length() && pool.vrfId().equals(vrfId)) {
        return Optional.of(pool);
      }
    }
    return Optional.empty();
  }

  /** The range starting and ending exactly there in the VRF (or the global table). */
  Optional<NetBoxPool> findRange(IpRange range, Optional<Long> vrfId) {
    Map<String, List<String>> q =
        query("start_address", range.first().toString(), "vrf_id", vrfId.map(String::valueOf).orElse("null"));
    for (JsonObject o : listAll("resolve_range", "api/ipam/ip-ranges/", q, "ipam.view_iprange")) {
      NetBoxPool pool = rangeOf(o);
      if (pool.span().equals(range) && pool.vrfId().equals(vrfId)) {
        return Optional.of(pool);
      }
    }
    return Optional.empty();
  }

  Optional<NetBoxPool> getPool(PoolRef.Kind kind, long id) {
    Reply reply = get("resolve_" + (kind == PoolRef.Kind.PREFIX ? "prefix" : "range"),
        url("api/ipam/" + kind.endpoint() + "/" + id + "/").build());
    if (reply.status() == 404) {
      return Optional.empty();
    }
    if (reply.status() != 200 || !reply.json().isJsonObject()) {
      throw unexpected("resolve " + kind.word() + " #" + id, reply, kind == PoolRef.Kind.PREFIX ? "ipam.view_prefix" : "ipam.view_iprange");
    }
    JsonObject o = reply.json().getAsJsonObject();
    return Optional.of(kind == PoolRef.Kind.PREFIX ? prefixOf(o) : rangeOf(o));
  }

  /**
   * How many IP address records of the VRF (or the global table) lie inside the pool: one GET with
   * {@code limit=1}, NetBox counts. A range is asked for as the CIDRs that cover exactly it.
   */
  long countAddresses(NetBoxPool pool) {
    HttpUrl.Builder url = url("api/ipam/ip-addresses/");
    for (IpPrefix parent : dev.lbipam.ipam.spi.net.IpRangeSet.of(List.of(pool.span())).toPrefixes()) {
      url.addQueryParameter("parent", parent.toString());
    }
    url.addQueryParameter("vrf_id", pool.vrfId().map(String::valueOf).orElse("null"));
    url.addQueryParameter("limit", "1");
    url.addQueryParameter("brief", "true");
    Reply reply = get("count_addresses", url.build());
    JsonElement count = reply.status() == 200 && reply.json().isJsonObject() ? reply.json().getAsJsonObject().get("count") : null;
    if (count == null || !count.isJsonPrimitive()) {
      throw unexpected("count addresses in " + pool, reply, "ipam.view_ipaddress");
    }
    return count.getAsLong();
  }

  private static NetBoxPool prefixOf(JsonObject o) {
    String text = o.get("prefix").getAsString();
    IpPrefix prefix = IpPrefix.parse(text);
    return new NetBoxPool(PoolRef.Kind.PREFIX, o.get("id").getAsLong(), prefix.family(), vrfOf(o), prefix.length(), prefix.toRange(),
        flag(o, "is_pool"), false);
  }

  private static boolean flag(JsonObject o, String field) {
    JsonElement value = o.get(field);
    return value != null && value.isJsonPrimitive() && value.getAsBoolean();
  }

  private static NetBoxPool rangeOf(JsonObject o) {
    Masked start = masked(o.get("start_address").getAsString());
    Masked end = masked(o.get("end_address").getAsString());
    return new NetBoxPool(PoolRef.Kind.RANGE, o.get("id").getAsLong(), start.address().family(), vrfOf(o), start.mask(),
        new IpRange(start.address(), end.address()), false, flag(o, "mark_populated"));
  }

  private static Optional<Long> vrfOf(JsonObject o) {
    JsonElement vrf = o.get("vrf");
    if (vrf == null || vrf.isJsonNull()) {
      return Optional.empty();
    }
    return Optional.of(vrf.isJsonObject() ? vrf.getAsJsonObject().get("id").getAsLong() : vrf.getAsLong());
  }

  record Masked(IpAddress address, int mask) {}

  static Masked masked(String text) {
    int slash = text.indexOf('/');
    IpAddress address = IpAddress.parse(slash < 0 ? text : text.substring(0, slash));
    int mask = slash < 0 ? address.family().bits() : Integer.parseInt(text.substring(slash + 1));
    return new Masked(address, mask);
  }

  // ---------------------------------------------------------------------------------------------
  // IP addresses

  static NetBoxRecord recordOf(JsonObject o) {
    try {
      Masked masked = masked(o.get("address").getAsString());
      Set<String> tags = new LinkedHashSet<>();
      JsonElement tagList = o.get("tags");
      if (tagList != null && tagList.isJsonArray()) {
        for (JsonElement t : tagList.getAsJsonArray()) {
          if (t.isJsonObject() && t.getAsJsonObject().has("slug")) {
            tags.add(t.getAsJsonObject().get("slug").getAsString());
          }
        }
      }
      Map<String, String> cfs = new HashMap<>();
      JsonElement cfObject = o.get("custom_fields");
      if (cfObject != null && cfObject.isJsonObject()) {
        for (Map.Entry<String, JsonElement> e : cfObject.getAsJsonObject().entrySet()) {
          if (e.getValue() != null && e.getValue().isJsonPrimitive()) {
            cfs.put(e.getKey(), e.getValue().getAsString());
          }
        }
      }
      JsonElement status = o.get("status");
      String statusValue =
          status == null || status.isJsonNull() ? "" : status.isJsonObject() ? status.getAsJsonObject().get("value").getAsString() : status.getAsString();
      return new NetBoxRecord(
          o.get("id").getAsLong(), masked.address(), masked.mask(), vrfOf(o), statusValue, stringOr(o, "dns_name"),
          stringOr(o, "description"), tags, cfs);
    } catch (RuntimeException e) {
      throw new NetBoxApiException("unreadable IP address record from NetBox: " + e.getMessage(), 200);
    }
  }

  private static String stringOr(JsonObject o, String field) {
    JsonElement e = o.get(field);
    return e == null || e.isJsonNull() ? "" : e.getAsString();
  }

  /**
   * Records whose custom field {@code field} is exactly {@code value}. The filter narrows the
   * query; the equality is checked here, because NetBox ignores unknown filters.
   */
  List<NetBoxRecord> findByCustomField(String operation, String field, String value) {
    List<NetBoxRecord> found = new ArrayList<>();
    for (JsonObject o : listAll(operation, "api/ipam/ip-addresses/", query("cf_" + field, value), "ipam.view_ipaddress")) {
      NetBoxRecord record = recordOf(o);
      if (record.customField(field).map(value::equals).orElse(false)) {
        found.add(record);
      }
    }
    return found;
  }

  /** Every record carrying the tag and the cluster custom field value, all pages. */
  List<NetBoxRecord> listTagged(String tag, String clusterField, String clusterId) {
    List<NetBoxRecord> found = new ArrayList<>();
    for (JsonObject o : listAll("list", "api/ipam/ip-addresses/", query("tag", tag, "cf_" + clusterField, clusterId),
        "ipam.view_ipaddress")) {
      NetBoxRecord record = recordOf(o);
      if (record.tags().contains(tag) && record.customField(clusterField).map(clusterId::equals).orElse(false)) {
        found.add(record);
      }
    }
    return found;
  }

  /** Records with this host address in the VRF (or the global table), any mask. */
  List<NetBoxRecord> findByAddress(IpAddress address, Optional<Long> vrfId) {
    List<NetBoxRecord> found = new ArrayList<>();
    Map<String, List<String>> q = query("address", address.toString(), "vrf_id", vrfId.map(String::valueOf).orElse("null"));
    for (JsonObject o : listAll("find_address", "api/ipam/ip-addresses/", q, "ipam.view_ipaddress")) {
      NetBoxRecord record = recordOf(o);
      if (record.address().equals(address) && record.vrfId().equals(vrfId)) {
        found.add(record);
      }
    }
    return found;
  }

  /** POST {@code .../available-ips/} with a one-element list; NetBox picks the lowest free. */
  Allocation allocate(NetBoxPool pool, JsonObject element) {
    JsonArray body = new JsonArray();
    body.add(element);
    Reply reply = send("allocate", "POST", url("api/ipam/" + pool.kind().endpoint() + "/" + pool.id() + "/available-ips/").build(),
        body, Optional.empty());
    switch (reply.status()) {
      case 201, 200 -> {
        JsonElement json = reply.json();
        JsonObject created =
            json.isJsonArray() && json.getAsJsonArray().size() == 1 ? json.getAsJsonArray().get(0).getAsJsonObject()
                : json.isJsonObject() ? json.getAsJsonObject() : null;
        if (created == null) {
          throw new NetBoxApiException("allocate: NetBox answered " + reply.status() + " without the created address", reply.status());
        }
        return new Allocation.Created(recordOf(created));
      }
      case 409 -> {
        return new Allocation.Full();
      }
      case 404 -> {
        return new Allocation.PoolMissing();
      }
      case 400 -> {
        return new Allocation.Refused(400, abbreviate(reply.text()));
      }
      case 403 -> {
        return new Allocation.Refused(403, "NetBox refused (403 \"" + reply.detail()
            + "\"): the token lacks permission ipam.add_ipaddress (or cannot see the " + pool.kind().word() + ")");
      }
      default -> throw unexpected("allocate", reply, "ipam.add_ipaddress");
    }
  }

  /** POST {@code /api/ipam/ip-addresses/}: one given address. */
  Creation createAddress(JsonObject element) {
    Reply reply = create("create", "api/ipam/ip-addresses/", element);
    return switch (reply.status()) {
      case 201 -> new Creation.Created(recordOf(reply.json().getAsJsonObject()));
      case 400 -> new Creation.Refused(400, abbreviate(reply.text()));
      case 403 -> new Creation.Refused(403, "NetBox refused (403 \"" + reply.detail()
          + "\"): the token lacks permission ipam.add_ipaddress");
      default -> throw unexpected("create", reply, "ipam.add_ipaddress");
    };
  }

  /** One record and its ETag (NetBox 4.6+), or empty when it is gone. */
  Optional<Map.Entry<NetBoxRecord, Optional<String>>> getAddress(long id) {
    Reply reply = get("get", url("api/ipam/ip-addresses/" + id + "/").build());
    if (reply.status() == 404) {
      return Optional.empty();
    }
    if (reply.status() != 200 || !reply.json().isJsonObject()) {
      throw unexpected("get ip-address #" + id, reply, "ipam.view_ipaddress");
    }
    return Optional.of(Map.entry(recordOf(reply.json().getAsJsonObject()), reply.etag()));
  }

  /** DELETE with If-Match when an ETag is known. */
  Deletion deleteAddress(long id, Optional<String> etag) {
    Reply reply = send("delete", "DELETE", url("api/ipam/ip-addresses/" + id + "/").build(), null, etag);
    return switch (reply.status()) {
      case 204, 200 -> Deletion.DELETED;
      case 404 -> Deletion.ALREADY_GONE;
      case 412 -> Deletion.STALE;
      default -> throw unexpected("delete ip-address #" + id, reply, "ipam.delete_ipaddress");
    };
  }

  @Override
  public void close() {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
