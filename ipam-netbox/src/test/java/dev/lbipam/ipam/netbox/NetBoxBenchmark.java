package dev.lbipam.ipam.netbox;

import ch.qos.logback.classic.Level;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.testsupport.netbox.NetBoxStandIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.LoggerFactory;

/**
 * Allocation latency through the backend next to the raw latency of the same NetBox call, in one
 * run, interleaved so both see the same pool fill level. The difference is the backend's overhead
 * (claim cache, circuit breaker, retry wrapper, JSON, record parsing).
 *
 * <pre>
 * mvn -o -q -pl ipam-netbox test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *   -Dexec.args="-classpath %classpath dev.lbipam.ipam.netbox.NetBoxBenchmark 2000 500"
 * </pre>
 *
 * Arguments: measured allocations per variant (default 2000), warm-up allocations (default 500).
 * Against the NetBox dev/netbox/build.sh makes: NETBOX=built. Against another real NetBox: set NETBOX_URL and NETBOX_TOKEN and NETBOX_BENCH_PREFIX (a free prefix
 * the benchmark may create and fill, e.g. 198.18.0.0/19, which holds the 5,500 records the default run makes); it deletes what it created.
 */
public final class NetBoxBenchmark {
  private static final MediaType JSON = MediaType.get("application/json");

  private NetBoxBenchmark() {}

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.lbipam")).setLevel(Level.WARN);
    int measured = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    // NETBOX=built: the NetBox of dev/netbox/build.sh, started here, with lbipam's least-privilege
    // token for the measured calls (its admin token only makes the prefix).
    dev.lbipam.testsupport.netbox.RealNetBox built =
        "built".equals(System.getenv("NETBOX")) ? dev.lbipam.testsupport.netbox.RealNetBox.start() : null;
    String realUrl = built != null ? built.url() : System.getenv("NETBOX_URL");
    boolean real = realUrl != null && !realUrl.isBlank();
    NetBoxStandIn standIn = real ? null : NetBoxStandIn.start();
    String url = real ? realUrl : standIn.url();
    String token = built != null ? built.lbipamToken() : real ? System.getenv("NETBOX_TOKEN") : NetBoxStandIn.LEGACY_TOKEN;
    String adminToken = built != null ? built.adminToken() : token;
    String cidr = real ? System.getenv().getOrDefault("NETBOX_BENCH_PREFIX", "198.18.0.0/19") : "10.200.0.0/16";
    try {
      run(url, token, adminToken, cidr, standIn, measured, warmup,
          built != null ? "real NetBox " + built.version() + " (dev/netbox/build.sh)" : real ? "real NetBox" : "in-process stand-in");
    } finally {
      if (standIn != null) {
        standIn.close();
      }
      if (built != null) {
        built.close();
      }
    }
  }

  private static void run(String url, String token, String adminToken, String cidr, NetBoxStandIn standIn, int measured,
      int warmup, String target) throws Exception {
    boolean real = standIn == null;
    String cluster = "bench-" + UUID.randomUUID().toString().substring(0, 6);
    Map<String, String> options = new HashMap<>();
    options.put("url", url);
    options.put("gc-grace", "PT24H");
    BackendContext context = new BackendContext(cluster, options, n -> Optional.of(token));
    NetBoxBackend backend = (NetBoxBackend) new NetBoxBackendFactory().create(context);
    NetBoxSettings settings = NetBoxSettings.from(context);
    // Idle connections dropped before gunicorn's 2 s keep-alive, as the backend does.
    OkHttpClient raw = new OkHttpClient.Builder().retryOnConnectionFailure(false).followRedirects(false)
        .connectionPool(new okhttp3.ConnectionPool(8, 1, java.util.concurrent.TimeUnit.SECONDS)).build();

    long prefixId;
    if (standIn != null) {
      prefixId = standIn.createPrefix(cidr);
    } else {
      JsonObject body = new JsonObject();
      body.addProperty("prefix", cidr);
      body.addProperty("description", "lbipam benchmark, safe to delete");
      prefixId = post(raw, url + "/api/ipam/prefixes/", NetBoxSettings.authorizationHeader(adminToken), body).get("id").getAsLong();
    }
    backend.configure(Optional.of(Map.of("netbox-prefix-global", cidr)));
    backend.holdings(); // primes the claim cache, as the controller's start-up does

    String allocateUrl = url + "/api/ipam/prefixes/" + prefixId + "/available-ips/";
    int[] counter = {0};
    Runnable rawCall = () -> {
      JsonArray list = new JsonArray();
      list.add(element(settings, cluster, "raw-" + counter[0]++));
      try {
        postList(raw, allocateUrl, settings.authorization(), list);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    };
    List<OwnerRef> owners = new ArrayList<>();
    Runnable backendCall = () -> {
      OwnerRef owner = new OwnerRef(cluster, "bench", "svc-" + counter[0]++, UUID.randomUUID().toString());
      owners.add(owner);
      AllocationOutcome outcome = backend.allocate(new AllocationRequest(owner, List.of(IpFamily.IPV4), FamilyPolicy.SINGLE_STACK,
          List.of(new PortKey("TCP", 80))));
      if (!(outcome instanceof AllocationOutcome.Allocated)) {
        throw new IllegalStateException("allocation failed: " + outcome);
      }
    };

    for (int i = 0; i < warmup; i++) {
      rawCall.run();
      backendCall.run();
    }
    long[] rawNanos = new long[measured];
    long[] backendNanos = new long[measured];
    for (int i = 0; i < measured; i++) {
      long t0 = System.nanoTime();
      rawCall.run();
      long t1 = System.nanoTime();
      backendCall.run();
      long t2 = System.nanoTime();
      rawNanos[i] = t1 - t0;
      backendNanos[i] = t2 - t1;
    }

    // The same owners again: the claim is cached, so no NetBox call at all.
    long[] holdNanos = new long[Math.min(measured, owners.size())];
    List<Holding> holdings = new ArrayList<>();
    for (Holding h : backend.holdings()) {
      holdings.add(h);
    }
    for (int i = 0; i < holdNanos.length && i < holdings.size(); i++) {
      long t0 = System.nanoTime();
      HoldOutcome held = backend.hold(holdings.get(i));
      holdNanos[i] = System.nanoTime() - t0;
      if (!(held instanceof HoldOutcome.Held)) {
        throw new IllegalStateException("hold failed: " + held);
      }
    }
    // A cold lookup (cache not trusted): GET by claim, then POST.
    NetBoxBackend cold = (NetBoxBackend) new NetBoxBackendFactory().create(context);
    cold.configure(Optional.of(Map.of("netbox-prefix-global", cidr)));
    int coldCount = Math.min(measured, 500);
    long[] coldNanos = new long[coldCount];
    for (int i = 0; i < coldCount; i++) {
      OwnerRef owner = new OwnerRef(cluster, "bench", "cold-" + i, UUID.randomUUID().toString());
      long t0 = System.nanoTime();
      AllocationOutcome outcome = cold.allocate(new AllocationRequest(owner, List.of(IpFamily.IPV4), FamilyPolicy.SINGLE_STACK, List.of()));
      coldNanos[i] = System.nanoTime() - t0;
      if (!(outcome instanceof AllocationOutcome.Allocated)) {
        throw new IllegalStateException("cold allocation failed: " + outcome);
      }
    }

    System.out.printf(Locale.ROOT, "target: %s (%s), prefix %s, %d measured allocations per variant after %d warm-up, interleaved%n",
        target, url, cidr, measured, warmup);
    System.out.printf(Locale.ROOT, "JVM %s, %d CPUs%n", System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    System.out.println("| variant | n | mean ms | p50 ms | p90 ms | p99 ms | max ms |");
    System.out.println("|---|---|---|---|---|---|---|");
    row(real ? "raw POST available-ips (NetBox's own latency)" : "raw POST available-ips (stand-in's own latency)", rawNanos);
    row("backend allocate (claim cache primed: 1 POST)", backendNanos);
    row("backend allocate, cold claim lookup (GET + POST)", coldNanos);
    row("backend hold, unchanged (served from the claim cache)", holdNanos);
    System.out.printf(Locale.ROOT, "overhead of the backend (p50): %.3f ms; (mean): %.3f ms%n",
        (percentile(backendNanos, 50) - percentile(rawNanos, 50)) / 1e6, (mean(backendNanos) - mean(rawNanos)) / 1e6);

    if (real) {
      for (OwnerRef owner : owners) {
        backend.release(owner);
      }
      System.out.println("note: raw-* and cold-* records and the prefix were left in NetBox for inspection; delete prefix #" + prefixId
          + " and its addresses");
    }
    cold.close();
    backend.close();
    raw.dispatcher().executorService().shutdown();
    raw.connectionPool().evictAll();
  }

  private static JsonObject element(NetBoxSettings settings, String cluster, String name) {
    JsonObject element = new JsonObject();
    element.addProperty("status", "active");
    element.addProperty("dns_name", name + ".bench");
    element.addProperty("description", "lbipam benchmark");
    JsonArray tags = new JsonArray();
    JsonObject tag = new JsonObject();
    tag.addProperty("slug", settings.tag());
    tags.add(tag);
    element.add("tags", tags);
    JsonObject cfs = new JsonObject();
    cfs.addProperty(settings.claimField(), cluster + "/bench/" + name + "/" + UUID.randomUUID() + "/ipv4");
    cfs.addProperty(settings.clusterField(), cluster);
    element.add("custom_fields", cfs);
    return element;
  }

  private static JsonObject post(OkHttpClient http, String url, String authorization, JsonObject body) throws IOException {
    Request request = new Request.Builder().url(url).header("Authorization", authorization).header("Accept", "application/json")
        .post(RequestBody.create(body.toString(), JSON)).build();
    try (Response response = http.newCall(request).execute()) {
      String text = response.body().string();
      if (response.code() != 201) {
        throw new IOException("POST " + url + " -> " + response.code() + " " + text);
      }
      return com.google.gson.JsonParser.parseString(text).getAsJsonObject();
    }
  }

  private static void postList(OkHttpClient http, String url, String authorization, JsonArray body) throws IOException {
    Request request = new Request.Builder().url(url).header("Authorization", authorization).header("Accept", "application/json")
        .post(RequestBody.create(body.toString(), JSON)).build();
    try (Response response = http.newCall(request).execute()) {
      String text = response.body().string();
      if (response.code() != 201) {
        throw new IOException("POST " + url + " -> " + response.code() + " " + text);
      }
      IpAddress.parse(com.google.gson.JsonParser.parseString(text).getAsJsonArray().get(0).getAsJsonObject()
          .get("address").getAsString().split("/")[0]);
    }
  }

  private static void row(String name, long[] nanos) {
    System.out.printf(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f |%n", name, nanos.length, mean(nanos) / 1e6,
        percentile(nanos, 50) / 1e6, percentile(nanos, 90) / 1e6, percentile(nanos, 99) / 1e6, percentile(nanos, 100) / 1e6);
  }

  private static double mean(long[] values) {
    return Arrays.stream(values).average().orElse(0);
  }

  private static double percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
