package dev.lbipam.controller;

import com.google.gson.reflect.TypeToken;
import dev.lbipam.testsupport.KubeApiServer;
import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceList;
import io.kubernetes.client.util.Watch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scale benchmark (not a test; docs/benchmarks.md): a cluster filled with N LoadBalancer Services
 * (default 50,000) in many namespaces and pools, some dual-stack, some sharing addresses, then the
 * real controller against it:
 *
 * <ol>
 *   <li><b>fill</b>: N Services created with no controller running;
 *   <li><b>backlog</b>: a controller starts: JVM start to caches synced, to the first Service
 *       addressed, to all N addressed; peak RSS against the manifest's memory limit;
 *   <li><b>bursts</b>: 1000 more Services created by {@value #THREADS} threads with the controller
 *       running, twice, between two rounds of the <b>floor</b> (floor, burst, burst, floor): a plain
 *       client creating 1000 and patching each with a precomputed address (create + one patch per
 *       Service, same threads);
 *   <li><b>fail-over</b>: a standby started and synced; the leader killed with SIGKILL, then (with a
 *       new standby) the next leader stopped with SIGTERM: from the kill to the standby leading and
 *       to a Service created right after the kill being addressed.
 * </ol>
 *
 * <p>The controller runs with the image's JVM flags at the manifest's memory limit unless {@code
 * CONTROLLER_JVM} says otherwise. Run: {@code BENCH=scale dev/bench.sh 50000}. With {@code
 * SCALE_ETCD_DATA=folder} the filled etcd is kept there (and {@code folder.services} says for which
 * N), and every run starts from a copy of it instead of filling again.
 */
public final class ScaleBenchmark {
  static long manifestLimitMib() {
    try {
      for (Object object : Manifests.load("base/deployment.yaml")) {
        if (object instanceof V1Deployment deployment) {
          Quantity limit = deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getLimits()
              .get("memory");
          return limit.getNumber().longValue() / (1024 * 1024);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no Deployment in manifest/base/deployment.yaml");
  }

  static final int THREADS = EndToEndBenchmark.THREADS;
  static final int BURST = 1000;
  /** The controller container's memory limit in manifest/base/deployment.yaml. */
  static final long MANIFEST_LIMIT_MIB = manifestLimitMib();
  /** The container's memory limit as the JVM sees it: SCALE_MAX_RAM (default the manifest's). */
  static final String MAX_RAM = System.getenv().getOrDefault("SCALE_MAX_RAM", MANIFEST_LIMIT_MIB + "m");
  /**
   * The image's flags as the JVM applies them in a container with that limit: MaxRAM makes it size the
   * heap from the limit, as the container's cgroup does (60%: 614 MiB at 1 GiB; initial 1/64).
   */
  static final String PRODUCTION_JVM = "-XX:MaxRAM=" + MAX_RAM + " " + String.join(" ", ImageJvmFlags.ofRepository());
  /**
   * Earlier images' flags, compared on standbys: the first image (the JVM's defaults otherwise; with
   * less than 1792 MiB a container's JVM picks the Serial collector, said here since MaxRAM does
   * not make it do so), and the one with C1 only, a smaller code cache and stacks (ADR 0018 added
   * the heap free ratios to it).
   */
  static final String IMAGE_JVM_FIRST =
      "-XX:MaxRAM=" + MAX_RAM + " -XX:MaxRAMPercentage=60 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData";
  static final String IMAGE_JVM_C1 = IMAGE_JVM_FIRST + " -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -Xss512k";
  /** The floor's Services: a class of their own, so that the running controller leaves them alone. */
  static final String FLOOR_CLASS = "bench.lbipam.dev/floor";

  private ScaleBenchmark() {}

  public static void main(String[] args) {
    int status = 0;
    try {
      run(args.length > 0 ? Integer.parseInt(args[0].trim()) : 50_000);
    } catch (Throwable e) {
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  /** What kind of namespace the k-th is: its pool, and how its Services look. */
  enum Kind {
    SHARED, DUAL_STACK, RANGE, GLOBAL;

    static Kind of(int k) {
      return switch (k % 10) {
        case 0 -> SHARED;
        case 1 -> DUAL_STACK;
        case 2 -> RANGE;
        default -> GLOBAL;
      };
    }
  }

  private static void run(int n) throws Exception {
    EndToEndBenchmark.ensureRealClassPath();
    if (System.getProperty("lbipam.controller.jvm") == null && System.getenv("CONTROLLER_JVM") == null) {
      System.setProperty("lbipam.controller.jvm", PRODUCTION_JVM);
    }
    int namespaces = Math.max(4, n / 1000);
    System.out.printf("ScaleBenchmark N=%d namespaces=%d threads=%d nproc=%d controller JVM %s%n", n, namespaces, THREADS,
        Runtime.getRuntime().availableProcessors(), ControllerProcess.jvmOptions());
    List<String> names = new ArrayList<>();
    for (int k = 0; k < namespaces; k++) {
      names.add(String.format(Locale.ROOT, "scale-%03d", k));
    }
    String probeNs = "scale-probe";
    String keptData = System.getenv("SCALE_ETCD_DATA");
    Path etcdData = keptData == null || keptData.isBlank() ? null : Path.of(keptData).toAbsolutePath();
    if (etcdData != null && !Files.isDirectory(etcdData.resolve("member"))) {
      // Filled once, kept, and started from a copy below, in this run as in later ones.
      try (KubeApiServer filling = apiServer().keepEtcdDataIn(etcdData).start()) {
        fill(filling, n, names, probeNs);
      }
      Files.writeString(servicesFile(etcdData), Integer.toString(n));
      if (System.getenv("SCALE_FILL_ONLY") != null) {
        System.out.printf("etcd data with %d Services kept in %s (SCALE_FILL_ONLY: nothing else run)%n", n, etcdData);
        return;
      }
    }
    KubeApiServer.Builder builder = apiServer();
    if (etcdData != null) {
      int kept = Integer.parseInt(Files.readString(servicesFile(etcdData)).trim());
      if (kept != n) {
        throw new IllegalStateException(etcdData + " holds " + kept + " Services, not " + n + ": remove it or name another");
      }
      builder.etcdDataFrom(etcdData);
    }
    String auditDir = System.getenv("SCALE_AUDIT_DIR");
    if (auditDir != null && !auditDir.isBlank()) {
      // Where the API server's time goes, per write: received -> response complete, by verb and resource.
      Path dir = Files.createDirectories(Path.of(auditDir));
      builder.auditWrites(dir.resolve("audit.log"));
      System.out.printf("API server audit log of every write in %s%n", dir.resolve("audit.log"));
    }
    try (KubeApiServer server = builder.start()) {
      ApiClient admin = server.adminClient();
      TestServices kube = new TestServices(admin);
      if (etcdData == null) {
        fill(server, n, names, probeNs);
      } else {
        System.out.printf("fill: %d Services from the etcd data kept in %s (SCALE_ETCD_DATA)%n", n, etcdData);
      }
      if (System.getenv("SCALE_LIST_PROBE") != null) {
        listCost(server);
        return;
      }
      if (System.getenv("SCALE_MEMORY_ONLY") != null) {
        memoryOfStandbys(server);
        return;
      }

      ApiClient asController = server.clientAs(KubeApiServer.DEFAULT_SA_NAMESPACE, KubeApiServer.DEFAULT_SA_NAME);
      CoreV1Api patcher = new CoreV1Api(asController);
      try (AddressedWatch watch = AddressedWatch.start(server)) {
        int before = watch.total();
        ControllerProcess leader = ControllerProcess.start(server, "scale-a");
        long launched = System.nanoTime();
        long synced = EndToEndBenchmark.waitForLog(leader, "caches synced", Duration.ofMinutes(10));
        long indexed = EndToEndBenchmark.waitForLog(leader, "indexed existing services", Duration.ofMinutes(10));
        watch.awaitTotal(before + 1, Duration.ofMinutes(10));
        long first = watch.firstAfter(launched);
        boolean all = watch.awaitTotal(n, Duration.ofMinutes(30));
        long last = watch.lastSeenOverall();
        if (!leader.isAlive()) {
          // Its figures would be meaningless; what it said last is the finding.
          System.out.printf("backlog: the controller EXITED after %.1f s with %d of %d addressed; its last errors:%n",
              (watch.lastSeenOverall() - launched) / 1e9, watch.total(), n);
          List<String> errors = leader.log().lines().filter(l -> l.contains("level=ERROR")).toList();
          errors.subList(Math.max(0, errors.size() - 3), errors.size()).forEach(l -> System.out.println("  " + LogText.cap(l)));
          return;
        }
        long peakAfterBacklog = leader.memoryKiB("VmHWM");
        System.out.printf("backlog: JVM start -> caches synced %.2f s, -> indexed %.2f s, -> first Service addressed %.2f s,"
                + " -> all %d addressed %.1f s%s; peak RSS %.0f MiB%n",
            (synced - launched) / 1e9, (indexed - launched) / 1e9, (first - launched) / 1e9, n, (last - launched) / 1e9,
            all ? "" : " (INCOMPLETE: " + watch.total() + ")", peakAfterBacklog / 1024.0);

        // Floor, controller, controller, floor: every round makes the next one slower (each Service
        // adds a ClusterIP IPAddress, which every later Service create pays for), and in this order
        // that drift hits both sides alike; floor-controller-floor-controller gave the controller
        // the later rounds. The floor's Services carry another loadBalancerClass, so the running
        // controller leaves them alone (and writes nothing).
        Burst floor1 = floorBurst(kube, watch, patcher, asController, kube.createNamespace("scale-floor-1"), 200);
        Burst burst1 = controllerBurst(kube, watch, kube.createNamespace("scale-burst-1"));
        Burst burst2 = controllerBurst(kube, watch, kube.createNamespace("scale-burst-2"));
        Burst floor2 = floorBurst(kube, watch, patcher, asController, kube.createNamespace("scale-floor-2"), 201);
        Burst floor = Burst.of(floor1, floor2);
        Burst controller = Burst.of(burst1, burst2);
        long peak = leader.memoryKiB("VmHWM");
        System.out.printf("%n== ScaleBenchmark: %d LoadBalancer Services in %d namespaces, then bursts of %d (%d threads) ==%n",
            n, namespaces, BURST, THREADS);
        System.out.printf("%-52s %9s %9s %9s%n", "", "total s", "p50 ms", "p99 ms");
        row("floor, first: create + one patch per Service", floor1);
        row("controller burst, first (create -> address seen)", burst1);
        row("floor, second", floor2);
        row("controller burst, second", burst2);
        row("floor: mean total; percentiles of both", floor);
        row("controller: mean total; percentiles of both", controller);
        System.out.printf("ratio controller / floor: total %.2f, p50 %.2f, p99 %.2f%n",
            (double) controller.total() / floor.total(),
            (double) EndToEndBenchmark.percentile(controller.latencies(), 0.5) / EndToEndBenchmark.percentile(floor.latencies(), 0.5),
            (double) EndToEndBenchmark.percentile(controller.latencies(), 0.99) / EndToEndBenchmark.percentile(floor.latencies(), 0.99));
        System.out.printf("controller peak RSS (VmHWM) %.0f MiB against the manifest's limit of %d MiB: %s%n", peak / 1024.0,
            MANIFEST_LIMIT_MIB, peak / 1024 < MANIFEST_LIMIT_MIB ? "fits" : "DOES NOT FIT");
        System.out.println("duplicates among non-shared addresses: " + watch.duplicatesOutside(names, Kind.SHARED));

        ControllerProcess standby = ControllerProcess.start(server, "scale-b");
        EndToEndBenchmark.waitForLog(standby, "caches synced", Duration.ofMinutes(10));
        Thread.sleep(3000);
        failOver(server, kube, watch, leader, standby, probeNs, "p-kill", false);
        ControllerProcess third = ControllerProcess.start(server, "scale-c");
        EndToEndBenchmark.waitForLog(third, "caches synced", Duration.ofMinutes(10));
        Thread.sleep(3000);
        failOver(server, kube, watch, standby, third, probeNs, "p-term", true);
        System.out.printf("leader after both fail-overs: peak RSS (VmHWM) %.0f MiB%n", third.memoryKiB("VmHWM") / 1024.0);
        memoryOfStandbys(server);
        third.stop();
      }
    }
  }

  /** The benchmark's API server: the largest Service ranges (see the class comment), time to load a full etcd. */
  private static KubeApiServer.Builder apiServer() {
    return KubeApiServer.builder().serviceClusterIpRange("10.96.0.0/12,fd00:10:96::/108").startupTimeout(Duration.ofMinutes(5));
  }

  private static Path servicesFile(Path etcdData) {
    return etcdData.resolveSibling(etcdData.getFileName() + ".services");
  }

  /** The claim type, the pools, the namespaces and N Services in them, with no controller running. */
  private static void fill(KubeApiServer server, int n, List<String> names, String probeNs) throws Exception {
    ApiClient admin = server.adminClient();
    Manifests.installPrerequisites(admin);
    TestServices kube = new TestServices(admin);
    Map<String, String> pools = new HashMap<>();
    pools.put("cidr-global", "10.64.0.0/12");
    for (int k = 0; k < names.size(); k++) {
      String ns = names.get(k);
      kube.createNamespace(ns);
      switch (Kind.of(k)) {
        case SHARED -> {
          pools.put("cidr-" + ns, "10.32." + (k % 64 * 4) + ".0/22");
          pools.put("allow-share-" + ns, "true");
        }
        case DUAL_STACK -> pools.put("cidr-" + ns, "10.48." + (k % 64 * 4) + ".0/22,fd00:5c:" + Integer.toHexString(k) + "::/112");
        case RANGE -> pools.put("range-" + ns, "10.40." + (k % 64 * 4) + ".1-10.40." + (k % 64 * 4 + 3) + ".254");
        case GLOBAL -> { }
      }
    }
    kube.createNamespace(probeNs);
    kube.setPoolKeys(pools);

    long fillStart = System.nanoTime();
    EndToEndBenchmark.parallel(n, i -> () -> {
      int k = i % names.size();
      kube.create(service(names.get(k), Kind.of(k), i / names.size()));
      return null;
    });
    long fill = System.nanoTime() - fillStart;
    System.out.printf("fill: %d Services created in %.1f s (%.0f/s), no controller running%n", n, fill / 1e9, n / (fill / 1e9));
  }

  /**
   * What listing every Service costs, split into the API server's part (request sent to the last
   * byte read) and the decoding, as JSON and as protobuf, in pages of 500 and 5,000, alternating.
   */
  private static void listCost(KubeApiServer server) throws Exception {
    okhttp3.OkHttpClient http = server.adminClient().getHttpClient().newBuilder().readTimeout(Duration.ofMinutes(5)).build();
    com.google.gson.Gson gson = server.adminClient().getJSON().getGson();
    for (int round = 0; round < 2; round++) {
      for (int page : new int[] {500, 5000}) {
        for (boolean proto : new boolean[] {false, true}) {
          long fetch = 0;
          long decode = 0;
          long bytes = 0;
          int items = 0;
          String next = null;
          do {
            String url = server.url() + "/api/v1/services?limit=" + page
                + (next == null ? "" : "&continue=" + java.net.URLEncoder.encode(next, java.nio.charset.StandardCharsets.UTF_8));
            okhttp3.Request request = new okhttp3.Request.Builder().url(url)
                .header("Authorization", "Bearer " + server.adminToken())
                .header("Accept", proto ? "application/vnd.kubernetes.protobuf" : "application/json").build();
            long t0 = System.nanoTime();
            byte[] body;
            try (okhttp3.Response response = http.newCall(request).execute()) {
              if (!response.isSuccessful()) {
                throw new IllegalStateException("list: HTTP " + response.code());
              }
              body = response.body().bytes();
            }
            long t1 = System.nanoTime();
            if (proto) {
              // The protobuf envelope: "k8s\0", then a runtime.Unknown whose raw bytes are the list.
              var unknown = io.kubernetes.client.proto.Runtime.Unknown.parseFrom(java.util.Arrays.copyOfRange(body, 4, body.length));
              var list = io.kubernetes.client.proto.V1.ServiceList.parseFrom(unknown.getRaw());
              items += list.getItemsCount();
              next = list.getMetadata().getContinue();
            } else {
              V1ServiceList list = gson.fromJson(new String(body, java.nio.charset.StandardCharsets.UTF_8), V1ServiceList.class);
              items += list.getItems().size();
              next = list.getMetadata().getContinue();
            }
            fetch += t1 - t0;
            decode += System.nanoTime() - t1;
            bytes += body.length;
          } while (next != null && !next.isEmpty());
          System.out.printf("list probe: %-8s page %5d: %d Services, %.0f MiB, API server + transfer %.2f s, decoding %.2f s%n",
              proto ? "protobuf" : "JSON", page, items, bytes / 1048576.0, fetch / 1e9, decode / 1e9);
        }
      }
    }
  }

  /**
   * JVM flag sets compared on standbys (each holds the full caches) while a leader runs; SCALE_FLAG_SETS
   * replaces them: sets separated by {@code |}, in each {@code @image} stands for the image's flags.
   */
  static final List<String> FLAG_SETS = System.getenv("SCALE_FLAG_SETS") != null
      ? java.util.Arrays.stream(System.getenv("SCALE_FLAG_SETS").split("\\|")).map(String::trim)
          .filter(set -> !set.isEmpty()).map(set -> set.replace("@image", PRODUCTION_JVM)).toList()
      : List.of(
      PRODUCTION_JVM + " -XX:NativeMemoryTracking=summary",
      PRODUCTION_JVM,
      IMAGE_JVM_FIRST,
      IMAGE_JVM_C1,
      PRODUCTION_JVM.replace("-XX:+UseSerialGC", "-XX:+UseG1GC"));

  private static void memoryOfStandbys(KubeApiServer server) throws Exception {
    for (String flags : FLAG_SETS) {
      System.setProperty("lbipam.controller.jvm", flags);
      try (ControllerProcess standby = ControllerProcess.start(server, "scale-memory")) {
        long launched = System.nanoTime();
        long synced = EndToEndBenchmark.waitForLog(standby, "caches synced", Duration.ofMinutes(10));
        Thread.sleep(10_000);
        System.out.printf("standby with %s: caches synced after %.2f s, RSS %.0f MiB, peak %.0f MiB%n", flags,
            (synced - launched) / 1e9, standby.memoryKiB("VmRSS") / 1024.0, standby.memoryKiB("VmHWM") / 1024.0);
        if (flags.contains("NativeMemoryTracking")) {
          Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
              Long.toString(standby.pid()), "VM.native_memory", "summary").redirectErrorStream(true).start();
          String out = new String(jcmd.getInputStream().readAllBytes());
          jcmd.waitFor();
          out.lines().filter(l -> l.contains("committed=") && (l.startsWith("-") || l.startsWith("Total")))
              .forEach(l -> System.out.println("  NMT " + l.trim()));
          Process histogram = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
              Long.toString(standby.pid()), "GC.class_histogram").redirectErrorStream(true).start();
          String classes = new String(histogram.getInputStream().readAllBytes());
          histogram.waitFor();
          classes.lines().limit(25).forEach(l -> System.out.println("  heap " + l));
        }
      }
    }
  }

  /** Stops the leader (SIGKILL or SIGTERM), creates a Service at once, and times the take-over. */
  private static void failOver(KubeApiServer server, TestServices kube, AddressedWatch watch, ControllerProcess leader,
      ControllerProcess standby, String probeNs, String probe, boolean clean) throws Exception {
    long t0 = System.nanoTime();
    if (clean) {
      new Thread(() -> {
        try {
          leader.stop();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }).start();
    } else {
      leader.kill();
    }
    kube.create(TestServices.loadBalancer(probeNs, probe));
    long leading = EndToEndBenchmark.waitForLog(standby, "leading; starting workers", Duration.ofMinutes(5), 20);
    watch.awaitKey(probeNs + "/" + probe, Duration.ofMinutes(5));
    long addressed = watch.seen(probeNs + "/" + probe);
    System.out.printf("fail-over (%s, lease 6 s / renew 4 s / retry 1 s): standby leading after %.2f s,"
            + " a Service created at the kill addressed after %.2f s%n",
        clean ? "SIGTERM" : "SIGKILL", (leading - t0) / 1e9, (addressed - t0) / 1e9);
  }

  /** 1 in 10 dual-stack in a DUAL_STACK namespace; ports 1000 + i % 40 in a SHARED one (so they share). */
  static V1Service service(String ns, Kind kind, int i) {
    V1Service service = TestServices.loadBalancer(ns, String.format(Locale.ROOT, "s-%05d", i));
    service.getSpec().setAllocateLoadBalancerNodePorts(false);
    if (kind == Kind.SHARED) {
      service.getSpec().getPorts().get(0).port(1000 + i % 40).name("p" + (1000 + i % 40));
    }
    if (kind == Kind.DUAL_STACK && i % 2 == 0) {
      TestServices.dualStack(service, "PreferDualStack", "IPv4", "IPv6");
    }
    return service;
  }

  /** One burst of {@value #BURST}: from the first create sent to the last address seen, and each Service's latency. */
  record Burst(long total, long[] latencies, boolean complete) {
    static Burst of(Burst a, Burst b) {
      return new Burst((a.total() + b.total()) / 2,
          java.util.stream.LongStream.concat(java.util.Arrays.stream(a.latencies()), java.util.Arrays.stream(b.latencies())).toArray(),
          a.complete() && b.complete());
    }
  }

  private static Burst controllerBurst(TestServices kube, AddressedWatch watch, String ns) throws Exception {
    long[] sent = new long[BURST];
    long start = System.nanoTime();
    EndToEndBenchmark.parallel(BURST, i -> () -> {
      sent[i] = System.nanoTime();
      kube.create(EndToEndBenchmark.service(ns, i));
      return null;
    });
    Burst burst = collect(watch, ns, sent, start);
    long events = 2L * BURST;
    long count = EndToEndBenchmark.awaitEvents(kube, ns, events);
    System.out.printf("controller burst in %s: %d addressed after %.2f s, %d of %d Events written after %.2f s%n",
        ns, BURST, burst.total() / 1e9, count, events, (System.nanoTime() - start) / 1e9);
    return burst;
  }

  /** The floor: each thread creates a Service and patches it with a precomputed address at once. */
  private static Burst floorBurst(TestServices kube, AddressedWatch watch, CoreV1Api patcher, ApiClient asController, String ns,
      int secondOctet) throws Exception {
    long[] sent = new long[BURST];
    long start = System.nanoTime();
    EndToEndBenchmark.parallel(BURST, i -> () -> {
      sent[i] = System.nanoTime();
      V1Service service = EndToEndBenchmark.service(ns, i);
      service.getSpec().setLoadBalancerClass(FLOOR_CLASS);
      String rv = kube.create(service).getMetadata().getResourceVersion();
      EndToEndBenchmark.patch(patcher, asController, ns, EndToEndBenchmark.name(i), rv, EndToEndBenchmark.address(secondOctet, i), false);
      return null;
    });
    return collect(watch, ns, sent, start);
  }

  private static Burst collect(AddressedWatch watch, String ns, long[] sent, long start) {
    boolean complete = watch.awaitCount(ns, BURST, Duration.ofMinutes(10));
    long[] latencies = new long[BURST];
    for (int i = 0; i < BURST; i++) {
      latencies[i] = watch.seen(ns + "/" + EndToEndBenchmark.name(i)) - sent[i];
    }
    return new Burst(watch.lastSeen(ns) - start, latencies, complete);
  }

  private static void row(String label, Burst burst) {
    System.out.printf("%-52s %9.2f %9.1f %9.1f%s%n", label, burst.total() / 1e9,
        EndToEndBenchmark.percentile(burst.latencies(), 0.5) / 1e6, EndToEndBenchmark.percentile(burst.latencies(), 0.99) / 1e6,
        burst.complete() ? "" : " INCOMPLETE");
  }

  /** One watch over all namespaces: when each Service was first seen with an address, and which. */
  static final class AddressedWatch implements AutoCloseable {
    private final CoreV1Api api;
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Watch<V1Service> current;
    private String startRv;

    private AddressedWatch(ApiClient client) {
      this.api = new CoreV1Api(client);
      this.thread = new Thread(this::run, "addressed-watch");
      this.thread.setDaemon(true);
    }

    static AddressedWatch start(KubeApiServer server) throws Exception {
      ApiClient client = server.adminClient();
      client.setHttpClient(client.getHttpClient().newBuilder().readTimeout(Duration.ZERO).build());
      AddressedWatch watch = new AddressedWatch(client);
      watch.startRv = watch.list();
      watch.thread.start();
      return watch;
    }

    private String list() throws Exception {
      String next = null;
      String rv;
      do {
        V1ServiceList page = api.listServiceForAllNamespaces().limit(5000)._continue(next).execute();
        long now = System.nanoTime();
        page.getItems().forEach(s -> record(s, now));
        next = page.getMetadata().getContinue();
        rv = page.getMetadata().getResourceVersion();
      } while (next != null && !next.isEmpty());
      return rv;
    }

    private void run() {
      String rv = startRv;
      while (!closed) {
        try (Watch<V1Service> watch = Watch.createWatch(api.getApiClient(),
            api.listServiceForAllNamespaces().watch(true).resourceVersion(rv).timeoutSeconds(3600).buildCall(null),
            new TypeToken<Watch.Response<V1Service>>() {}.getType())) {
          current = watch;
          for (Watch.Response<V1Service> event : watch) {
            long now = System.nanoTime();
            if ("ERROR".equals(event.type)) {
              break;
            }
            if (event.object != null) {
              record(event.object, now);
              rv = event.object.getMetadata().getResourceVersion();
            }
          }
        } catch (Exception e) {
          if (closed) {
            return;
          }
        }
        try {
          rv = list();
        } catch (Exception e) {
          EndToEndBenchmark.sleepQuietly(200);
        }
      }
    }

    private void record(V1Service service, long now) {
      Map<String, String> annotations = service.getMetadata().getAnnotations();
      if (annotations != null && annotations.containsKey(KubeVipNames.ADDRESSES_ANNOTATION)) {
        String key = service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
        seen.putIfAbsent(key, now);
        addresses.put(key, annotations.get(KubeVipNames.ADDRESSES_ANNOTATION));
      }
    }

    int total() {
      return seen.size();
    }

    long seen(String key) {
      return seen.getOrDefault(key, 0L);
    }

    long firstAfter(long t) {
      return seen.values().stream().mapToLong(Long::longValue).filter(v -> v >= t).min().orElse(0);
    }

    long lastSeenOverall() {
      return seen.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    long lastSeen(String ns) {
      return seen.entrySet().stream().filter(e -> e.getKey().startsWith(ns + "/")).mapToLong(Map.Entry::getValue).max().orElse(0);
    }

    boolean awaitTotal(int count, Duration timeout) {
      return await(() -> seen.size() >= count, timeout);
    }

    boolean awaitCount(String ns, int count, Duration timeout) {
      return await(() -> seen.keySet().stream().filter(k -> k.startsWith(ns + "/")).count() >= count, timeout);
    }

    boolean awaitKey(String key, Duration timeout) {
      return await(() -> seen.containsKey(key), timeout);
    }

    /** Addresses shown by more than one Service, outside the namespaces where sharing is allowed. */
    List<String> duplicatesOutside(List<String> namespaces, Kind sharing) {
      Map<String, String> first = new HashMap<>();
      List<String> duplicates = new ArrayList<>();
      addresses.forEach((key, value) -> {
        String ns = key.substring(0, key.indexOf('/'));
        int k = namespaces.indexOf(ns);
        if (k >= 0 && Kind.of(k) == sharing) {
          return;
        }
        for (String address : value.split(",")) {
          String other = first.putIfAbsent(address, key);
          if (other != null) {
            duplicates.add(address + " " + other + " " + key);
          }
        }
      });
      return duplicates;
    }

    private static boolean await(java.util.function.BooleanSupplier condition, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!condition.getAsBoolean()) {
        if (System.nanoTime() - deadline > 0) {
          return false;
        }
        EndToEndBenchmark.sleepQuietly(20);
      }
      return true;
    }

    @Override
    public void close() {
      closed = true;
      Watch<V1Service> watch = current;
      if (watch != null) {
        try {
          watch.close();
        } catch (Exception ignored) {
          // closing
        }
      }
    }
  }
}
