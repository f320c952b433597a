package dev.lbipam.controller;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import dev.lbipam.testsupport.KubeApiServer;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceList;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.Watch;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * End-to-end benchmark: how long the real controller takes to address N new LoadBalancer Services
 * on a real kube-apiserver + etcd, against a floor where a plain client writes the same fields
 * with precomputed addresses. See docs/benchmarks.md.
 *
 * <p>Run: {@code mvn -q -pl controller test-compile exec:exec -Dexec.executable=java
 * -Dexec.classpathScope=test "-Dexec.args=-classpath %classpath
 * dev.lbipam.controller.EndToEndBenchmark 1000"}. {@code exec:java} works too: the controller is
 * launched with {@code java.class.path}, which under exec:java is Maven's launcher, so the test
 * class path is rebuilt from the class loader first (see {@link #ensureRealClassPath}).
 *
 * <p>Phases, each in a fresh namespace, each creating N Services with {@value #THREADS} client
 * threads, one watch per namespace recording when each Service is first seen with the {@code
 * kube-vip.io/loadbalancerIPs} annotation:
 *
 * <ol>
 *   <li><b>warm-up</b> (not reported): the controller addresses min(N, {@value #WARMUP_SERVICES})
 *       Services in another namespace, so that every JVM and the API server are warm.
 *   <li><b>controller live</b>: the controller runs (leading, caches synced); create N, wait until all are
 *       addressed.
 *   <li><b>controller backlog</b>: with the controller stopped, create N Services; start a fresh
 *       controller and time from its "indexed existing services" log line to the last Service
 *       addressed: the controller's addressing throughput alone, as after a restart.
 *   <li><b>floor</b> (controller stopped): create all N, then patch all N, one JSON merge patch each
 *       with precomputed addresses and exactly the fields the controller writes (label, annotation,
 *       spec.loadBalancerIP, finalizer, resourceVersion precondition, field manager), as the
 *       controller's ServiceAccount.
 *   <li><b>floor, pipelined</b> (controller stopped): each client thread creates a Service and
 *       patches it at once; its per-Service latency is the like-for-like floor of the controller's.
 * </ol>
 */
public final class EndToEndBenchmark {
  /** Client threads creating Services (env {@code BENCH_THREADS}, default 16: the burst). */
  static final int THREADS = Integer.parseInt(System.getenv().getOrDefault("BENCH_THREADS", "16"));
  static final Duration ADDRESS_TIMEOUT = Duration.ofMinutes(15);
  static final String CONTROLLER_POOL = "10.128.0.0/16";
  static final String WARMUP_POOL = "10.131.0.0/16";
  static final String BACKLOG_POOL = "10.132.0.0/16";
  static final String NO_CLAIMS_POOL = "10.133.0.0/16";
  static final String NO_CLAIMS_WARMUP_POOL = "10.134.0.0/16";
  static final int WARMUP_SERVICES = 200;

  private EndToEndBenchmark() {}

  public static void main(String[] args) {
    int status = 0;
    try {
      run(args.length > 0 ? Integer.parseInt(args[0].trim()) : 1000);
    } catch (Throwable e) {
      e.printStackTrace();
      status = 1;
    }
    System.exit(status); // OkHttp and watch threads must not keep exec:java waiting
  }

  private static void run(int n) throws Exception {
    if (n < 1 || n > 10_000) {
      // 600 + 6N Services must fit the test server's cluster IP range (a /16).
      throw new IllegalArgumentException("N must be 1..10000: " + n);
    }
    ensureRealClassPath();
    System.out.printf("EndToEndBenchmark N=%d threads=%d nproc=%d java=%s controller JVM %s%n",
        n, THREADS, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        ControllerProcess.jvmOptions());
    PhaseResult controllerRun;
    PhaseResult withoutClaims;
    PhaseResult backlog;
    PhaseResult floor;
    PhaseResult pipelined;
    try (KubeApiServer server = KubeApiServer.start()) {
      ApiClient admin = server.adminClient();
      Manifests.installPrerequisites(admin);
      TestServices kube = new TestServices(admin);
      String warmupNs = server.createNamespace("bench-warmup");
      String ns = server.createNamespace("bench-controller");
      String backlogNs = server.createNamespace("bench-backlog");
      String noClaimsWarmupNs = server.createNamespace("bench-warmup-no-claims");
      String noClaimsNs = server.createNamespace("bench-no-claims");
      kube.setPoolKeys(Map.of(
          "cidr-" + warmupNs, WARMUP_POOL, "cidr-" + ns, CONTROLLER_POOL, "cidr-" + backlogNs, BACKLOG_POOL,
          "cidr-" + noClaimsWarmupNs, NO_CLAIMS_WARMUP_POOL, "cidr-" + noClaimsNs, NO_CLAIMS_POOL));

      // The same run without address claims, before and after the run with them, so that a
      // drift over the run (a fuller etcd, a busier machine) does not pass for the claims' cost.
      PhaseResult withoutClaimsBefore = withoutClaims(server, kube, noClaimsWarmupNs, noClaimsNs, n, "bench-no-claims");

      try (ControllerProcess controller = ControllerProcess.start(server, "bench")) {
        long t0 = System.nanoTime();
        waitForLog(controller, "indexed existing services", Duration.ofMinutes(3));
        System.out.printf("controller leading and indexed after %.1f s%n", (System.nanoTime() - t0) / 1e9);
        // Warm-up (not reported in the table): JIT and connections of this JVM, the controller,
        // kube-apiserver and etcd, so that the measured phases all start warm.
        int warmup = Math.min(n, WARMUP_SERVICES);
        PhaseResult warm = controllerPhase(server, kube, warmupNs, warmup);
        System.out.printf("warm-up: %d Services addressed by the controller in %.2f s (p50 %.1f ms)%n",
            warm.addressed(), warm.totalNanos() / 1e9, percentile(warm.serviceLatencies(), 0.5) / 1e6);
        Thread.sleep(2000);
        long idleKiB = controller.memoryKiB("VmRSS");
        controllerRun = controllerPhase(server, kube, ns, n);
        if (controllerRun.addressed() < n) {
          System.out.println("controller log tail:\n" + tail(controller.log(), 40));
        }
        System.out.printf("controller memory: RSS before A %.0f MiB, after A %.0f MiB, peak (VmHWM) %.0f MiB%n",
            idleKiB / 1024.0, controller.memoryKiB("VmRSS") / 1024.0, controller.memoryKiB("VmHWM") / 1024.0);
        System.out.println("controller metrics: " + deferred(controller));
        controller.stop();
      }
      PhaseResult withoutClaimsAfter = withoutClaims(server, kube, server.createNamespace("bench-warmup-no-claims-2"),
          server.createNamespace("bench-no-claims-2"), n, "bench-no-claims-2");
      withoutClaims = average(withoutClaimsBefore, withoutClaimsAfter);
      System.out.printf("without claims: before %.2f s (p50 %.1f ms), after %.2f s (p50 %.1f ms)%n",
          withoutClaimsBefore.totalNanos() / 1e9, percentile(withoutClaimsBefore.serviceLatencies(), 0.5) / 1e6,
          withoutClaimsAfter.totalNanos() / 1e9, percentile(withoutClaimsAfter.serviceLatencies(), 0.5) / 1e6);
      backlog = backlogPhase(server, kube, backlogNs, n);

      ApiClient asController = server.clientAs(KubeApiServer.DEFAULT_SA_NAMESPACE, KubeApiServer.DEFAULT_SA_NAME);
      floor = floorPhase(server, kube, asController, server.createNamespace("bench-floor"), n, 129);
      pipelined = pipelinedFloorPhase(server, kube, asController, server.createNamespace("bench-pipelined"), n, 130);
    }
    report(n, controllerRun, withoutClaims, backlog, floor, pipelined);
  }

  // ---------------------------------------------------------------------------------------------
  // phases

  /** Per-phase measurements; times in ns from System.nanoTime(). */
  record PhaseResult(
      String name,
      int n,
      long createPhaseNanos,
      long patchPhaseNanos,
      long totalNanos,
      long[] serviceLatencies,
      long[] patchLatencies,
      int addressed) {}

  /** A controller run with {@code --address-claims=false}: warm-up, then N Services. */
  private static PhaseResult withoutClaims(
      KubeApiServer server, TestServices kube, String warmupNs, String ns, int n, String name) throws Exception {
    String version = kube.setPoolKeys(Map.of("cidr-" + warmupNs, NO_CLAIMS_WARMUP_POOL, "cidr-" + ns, NO_CLAIMS_POOL));
    try (ControllerProcess controller = ControllerProcess.start(server, name, "--address-claims=false")) {
      waitForLog(controller, "indexed existing services", Duration.ofMinutes(3));
      waitForLog(controller, "resourceVersion=" + version, Duration.ofMinutes(1));
      controllerPhase(server, kube, warmupNs, Math.min(n, WARMUP_SERVICES));
      Thread.sleep(2000);
      PhaseResult result = controllerPhase(server, kube, ns, n);
      controller.stop();
      return result;
    }
  }

  /** Two runs of one phase as one: mean totals, latencies of both. */
  private static PhaseResult average(PhaseResult a, PhaseResult b) {
    long[] latencies = java.util.stream.LongStream.concat(
        Arrays.stream(a.serviceLatencies()), Arrays.stream(b.serviceLatencies())).toArray();
    return new PhaseResult(a.name(), a.n(), (a.createPhaseNanos() + b.createPhaseNanos()) / 2, -1,
        (a.totalNanos() + b.totalNanos()) / 2, latencies, new long[0], Math.min(a.addressed(), b.addressed()));
  }

  private static PhaseResult controllerPhase(KubeApiServer server, TestServices kube, String ns, int n)
      throws Exception {
    long[] createSent = new long[n];
    try (AddressWatch watch = AddressWatch.start(server, ns)) {
      long start = System.nanoTime();
      long createdAll = parallel(n, i -> () -> {
        createSent[i] = System.nanoTime();
        kube.create(service(ns, i));
        return null;
      });
      long createPhase = createdAll - start;
      System.out.printf("controller phase (%s): %d Services created in %.2f s; waiting for addresses%n", ns, n, createPhase / 1e9);
      boolean all = watch.awaitAll(n, ADDRESS_TIMEOUT);
      long[] seen = watch.seenTimes(n);
      long last = Arrays.stream(seen).max().orElse(start);
      long[] latencies = latencies(createSent, seen);
      int addressed = latencies.length;
      if (!all) {
        System.out.printf("WARNING: only %d of %d Services addressed within %s%n", addressed, n, ADDRESS_TIMEOUT);
      }
      long events = awaitEvents(kube, ns, 2L * n);
      System.out.printf("controller phase (%s): %d addressed after %.2f s, %d of %d Events written after %.2f s%n",
          ns, addressed, (last - start) / 1e9, events, 2L * n, (System.nanoTime() - start) / 1e9);
      return new PhaseResult("controller", n, createPhase, -1, last - start, latencies, new long[0], addressed);
    }
  }

  /**
   * Waits (up to five minutes) until the namespace holds this many Events and returns how many it
   * holds. Normal Events yield to address work (ADR 0014), so a phase is over only once they are
   * written; the next phase must not compete with them.
   */
  static long awaitEvents(TestServices kube, String ns, long expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    long count;
    while ((count = kube.eventCount(ns)) < expected && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    return count;
  }

  /**
   * N Services created while no controller runs, then a controller started: the time from its
   * "indexed existing services" log line (caches synced, existing holdings indexed; seen by polling
   * the log every 20 ms) to the last Service addressed. It also reconciles, without writing, every
   * Service of the earlier phases.
   */
  private static PhaseResult backlogPhase(KubeApiServer server, TestServices kube, String ns, int n) throws Exception {
    try (AddressWatch watch = AddressWatch.start(server, ns)) {
      long start = System.nanoTime();
      long createdAll = parallel(n, i -> () -> {
        kube.create(service(ns, i));
        return null;
      });
      System.out.printf("backlog phase (%s): %d Services created in %.2f s with no controller; starting one%n",
          ns, n, (createdAll - start) / 1e9);
      try (ControllerProcess controller = ControllerProcess.start(server, "bench-backlog")) {
        long launched = System.nanoTime();
        long indexed = waitForLog(controller, "indexed existing services", Duration.ofMinutes(3), 20);
        boolean all = watch.awaitAll(n, ADDRESS_TIMEOUT);
        long firstSeen = watch.firstSeen();
        System.out.printf("backlog controller: JVM start -> indexed %.2f s, JVM start -> first Service addressed %.2f s"
                + " (%d Services in the cluster)%n", (indexed - launched) / 1e9, (firstSeen - launched) / 1e9,
            kube.countAll());
        System.out.printf("backlog controller memory: peak (VmHWM) %.0f MiB%n", controller.memoryKiB("VmHWM") / 1024.0);
        long[] seen = watch.seenTimes(n);
        long last = Arrays.stream(seen).max().orElse(indexed);
        long[] sinceIndexed = Arrays.stream(seen).filter(t -> t != 0).map(t -> t - indexed).toArray();
        if (!all) {
          System.out.printf("WARNING: only %d of %d backlog Services addressed within %s%n", sinceIndexed.length, n, ADDRESS_TIMEOUT);
          System.out.println("controller log tail:\n" + tail(controller.log(), 40));
        }
        controller.stop();
        return new PhaseResult("backlog", n, createdAll - start, last - indexed, last - indexed,
            sinceIndexed, new long[0], sinceIndexed.length);
      }
    }
  }

  private static PhaseResult floorPhase(
      KubeApiServer server, TestServices kube, ApiClient patcher, String ns, int n, int secondOctet) throws Exception {
    long[] createSent = new long[n];
    String[] resourceVersions = new String[n];
    long[] patchLatency = new long[n];
    CoreV1Api api = new CoreV1Api(patcher);
    try (AddressWatch watch = AddressWatch.start(server, ns)) {
      long start = System.nanoTime();
      long createdAll = parallel(n, i -> () -> {
        createSent[i] = System.nanoTime();
        resourceVersions[i] = kube.create(service(ns, i)).getMetadata().getResourceVersion();
        return null;
      });
      System.out.printf("floor phase: %d Services created in %.2f s; patching%n", n, (createdAll - start) / 1e9);
      long patchStart = System.nanoTime();
      long patchedAll = parallel(n, i -> () -> {
        long t = System.nanoTime();
        patch(api, patcher, ns, name(i), resourceVersions[i], address(secondOctet, i));
        patchLatency[i] = System.nanoTime() - t;
        return null;
      });
      boolean all = watch.awaitAll(n, Duration.ofMinutes(2));
      long[] seen = watch.seenTimes(n);
      long[] latencies = latencies(createSent, seen);
      if (!all) {
        System.out.printf("WARNING: the watch saw only %d of %d floor patches%n", latencies.length, n);
      }
      return new PhaseResult("floor", n, createdAll - start, patchedAll - patchStart, patchedAll - start,
          latencies, patchLatency, latencies.length);
    }
  }

  private static PhaseResult pipelinedFloorPhase(
      KubeApiServer server, TestServices kube, ApiClient patcher, String ns, int n, int secondOctet) throws Exception {
    long[] createSent = new long[n];
    long[] patchLatency = new long[n];
    CoreV1Api api = new CoreV1Api(patcher);
    try (AddressWatch watch = AddressWatch.start(server, ns)) {
      long start = System.nanoTime();
      long doneAll = parallel(n, i -> () -> {
        createSent[i] = System.nanoTime();
        String rv = kube.create(service(ns, i)).getMetadata().getResourceVersion();
        long t = System.nanoTime();
        patch(api, patcher, ns, name(i), rv, address(secondOctet, i));
        patchLatency[i] = System.nanoTime() - t;
        return null;
      });
      boolean all = watch.awaitAll(n, Duration.ofMinutes(2));
      long[] seen = watch.seenTimes(n);
      long last = Math.max(doneAll, Arrays.stream(seen).max().orElse(doneAll));
      long[] latencies = latencies(createSent, seen);
      if (!all) {
        System.out.printf("WARNING: the watch saw only %d of %d pipelined patches%n", latencies.length, n);
      }
      System.out.printf("pipelined floor phase: %d Services created and patched in %.2f s%n", n, (doneAll - start) / 1e9);
      return new PhaseResult("floor-pipelined", n, -1, -1, last - start, latencies, patchLatency, latencies.length);
    }
  }

  /** The controller's write for a fresh Service, as {@link ServicePatch#ensure} builds it. */
  private static void patch(CoreV1Api api, ApiClient client, String ns, String name, String resourceVersion, String address)
      throws Exception {
    patch(api, client, ns, name, resourceVersion, address, true);
  }

  /** As above; without the finalizer for a Service of another class (the controller would take it off). */
  static void patch(CoreV1Api api, ApiClient client, String ns, String name, String resourceVersion, String address,
      boolean finalizer) throws Exception {
    JsonObject metadata = new JsonObject();
    if (finalizer) {
      JsonArray finalizers = new JsonArray();
      finalizers.add(KubeVipNames.FINALIZER);
      metadata.add("finalizers", finalizers);
    }
    JsonObject labels = new JsonObject();
    labels.addProperty(KubeVipNames.IMPLEMENTATION_LABEL, KubeVipNames.IMPLEMENTATION_VALUE);
    metadata.add("labels", labels);
    JsonObject annotations = new JsonObject();
    annotations.addProperty(KubeVipNames.ADDRESSES_ANNOTATION, address);
    metadata.add("annotations", annotations);
    metadata.addProperty("resourceVersion", resourceVersion);
    JsonObject spec = new JsonObject();
    spec.addProperty("loadBalancerIP", address);
    JsonObject patch = new JsonObject();
    patch.add("metadata", metadata);
    patch.add("spec", spec);
    String json = patch.toString();
    PatchUtils.patch(
        V1Service.class,
        () -> api.patchNamespacedService(name, ns, new V1Patch(json)).fieldManager(KubeVipNames.FIELD_MANAGER).buildCall(null),
        V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
        client);
  }

  /** The i-th address of 10.{secondOctet}.0.0/16 that kube-vip would allocate (no .0, no .255). */
  static String address(int secondOctet, int i) {
    return "10." + secondOctet + "." + (i / 254) + "." + (1 + i % 254);
  }

  /**
   * A LoadBalancer Service with one TCP port and no node ports: 200 + 3N Services would exhaust the
   * default node port range (2768 ports) long before the address pool.
   */
  static V1Service service(String ns, int i) {
    V1Service service = TestServices.loadBalancer(ns, name(i));
    service.getSpec().setAllocateLoadBalancerNodePorts(false);
    return service;
  }

  static String name(int i) {
    return String.format(Locale.ROOT, "svc-%05d", i);
  }

  static int index(String name) {
    return Integer.parseInt(name.substring("svc-".length()));
  }

  /** Runs task(i) for i in [0, n) on {@value #THREADS} threads; returns nanoTime when all are done. */
  static long parallel(int n, IntFunction<java.util.concurrent.Callable<Void>> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<Void>> futures = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        futures.add(pool.submit(task.apply(i)));
      }
      for (Future<Void> future : futures) {
        future.get();
      }
      return System.nanoTime();
    } finally {
      pool.shutdown();
    }
  }

  /** seen[i] - sent[i] for the Services that were seen; 0 entries mean never seen and are dropped. */
  private static long[] latencies(long[] sent, long[] seen) {
    long[] result = new long[sent.length];
    int k = 0;
    for (int i = 0; i < sent.length; i++) {
      if (seen[i] != 0) {
        result[k++] = seen[i] - sent[i];
      }
    }
    return Arrays.copyOf(result, k);
  }

  // ---------------------------------------------------------------------------------------------
  // observation

  /**
   * Watches one namespace and records, per Service, the first time an event showed it with the
   * addresses annotation. If the watch ends it lists (recording what it finds at that moment) and
   * watches again from the list's resourceVersion.
   */
  static final class AddressWatch implements AutoCloseable {
    private final CoreV1Api api;
    private final String namespace;
    private final Map<Integer, Long> seen = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Watch<V1Service> current;
    private volatile int relists;

    private String startRv;

    private AddressWatch(ApiClient client, String namespace) {
      this.api = new CoreV1Api(client);
      this.namespace = namespace;
      this.thread = new Thread(this::run, "address-watch-" + namespace);
      this.thread.setDaemon(true);
    }

    static AddressWatch start(KubeApiServer server, String namespace) throws Exception {
      ApiClient client = server.adminClient();
      client.setHttpClient(client.getHttpClient().newBuilder().readTimeout(Duration.ZERO).build());
      AddressWatch watch = new AddressWatch(client, namespace);
      watch.startRv = watch.list();
      watch.thread.start();
      return watch;
    }

    private String list() throws Exception {
      V1ServiceList list = api.listNamespacedService(namespace).execute();
      long now = System.nanoTime();
      for (V1Service service : list.getItems()) {
        record(service, now);
      }
      return list.getMetadata().getResourceVersion();
    }

    private void run() {
      String rv = startRv;
      while (!closed) {
        try (Watch<V1Service> watch = Watch.createWatch(
            api.getApiClient(),
            api.listNamespacedService(namespace).watch(true).resourceVersion(rv).timeoutSeconds(3600).buildCall(null),
            new TypeToken<Watch.Response<V1Service>>() {}.getType())) {
          current = watch;
          for (Watch.Response<V1Service> event : watch) {
            long now = System.nanoTime();
            if ("ERROR".equals(event.type)) {
              break;
            }
            if (event.object != null) {
              record(event.object, now);
              if (event.object.getMetadata() != null && event.object.getMetadata().getResourceVersion() != null) {
                rv = event.object.getMetadata().getResourceVersion();
              }
            }
          }
        } catch (Exception e) {
          if (closed) {
            return;
          }
        }
        if (!closed) {
          try {
            relists++;
            rv = list();
          } catch (Exception e) {
            sleepQuietly(200);
          }
        }
      }
    }

    private void record(V1Service service, long now) {
      Map<String, String> annotations = service.getMetadata().getAnnotations();
      if (annotations != null && annotations.containsKey(KubeVipNames.ADDRESSES_ANNOTATION)) {
        seen.putIfAbsent(index(service.getMetadata().getName()), now);
      }
    }

    boolean awaitAll(int n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (seen.size() < n) {
        if (System.nanoTime() - deadline > 0) {
          return false;
        }
        Thread.sleep(10);
      }
      return true;
    }

    /** nanoTime of the first Service seen addressed (0 when none). */
    long firstSeen() {
      return seen.values().stream().mapToLong(Long::longValue).min().orElse(0);
    }

    long[] seenTimes(int n) {
      long[] times = new long[n];
      seen.forEach((i, t) -> {
        if (i < n) {
          times[i] = t;
        }
      });
      return times;
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
      if (relists > 0) {
        System.out.printf("note: the watch on %s was re-established %d time(s); times seen by a list are late%n",
            namespace, relists);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // report

  private static void report(
      int n, PhaseResult live, PhaseResult withoutClaims, PhaseResult backlog, PhaseResult floor, PhaseResult pipelined) {
    System.out.println();
    System.out.printf("== End-to-end benchmark: N=%d LoadBalancer Services, %d client threads, %d CPUs ==%n",
        n, THREADS, Runtime.getRuntime().availableProcessors());
    System.out.println("latency: from sending the create request to the watch first showing the address annotation");
    System.out.printf("%-58s %9s %9s %9s %9s%n", "", "total s", "p50 ms", "p99 ms", "max ms");
    row("A controller live: create N, until all addressed", live.totalNanos(), live.serviceLatencies());
    total("    of which creating the N Services", live.createPhaseNanos());
    row("A0 the same with --address-claims=false (mean of before+after A)", withoutClaims.totalNanos(),
        withoutClaims.serviceLatencies());
    row("B controller backlog: indexed -> all N addressed (*)", backlog.totalNanos(), backlog.serviceLatencies());
    total("    creating the N Services before (no controller)", backlog.createPhaseNanos());
    row("C floor: patch phase, N patches; per-patch call", floor.patchPhaseNanos(), floor.patchLatencies());
    total("    creating the N Services before (no controller)", floor.createPhaseNanos());
    row("    create all, then patch all; latency as in A", floor.totalNanos(), floor.serviceLatencies());
    row("D floor pipelined: create+patch per thread; latency", pipelined.totalNanos(), pipelined.serviceLatencies());
    row("    per-patch call", -1, pipelined.patchLatencies());
    System.out.println("(*) B's percentiles: time from \"indexed\" until each Service was seen addressed");
    System.out.println();
    ratio("controller total / floor total (A / C patch phase)", live.totalNanos(), floor.patchPhaseNanos());
    ratio("A / C create+patch", live.totalNanos(), floor.totalNanos());
    ratio("A / D total", live.totalNanos(), pipelined.totalNanos());
    ratio("A p50 / D p50 latency", percentile(live.serviceLatencies(), 0.5), percentile(pipelined.serviceLatencies(), 0.5));
    ratio("backlog / floor patch phase (B / C patch phase)", backlog.totalNanos(), floor.patchPhaseNanos());
    ratio("claims on / claims off, total (A / A0)", live.totalNanos(), withoutClaims.totalNanos());
    ratio("claims on / claims off, p50 (A / A0)", percentile(live.serviceLatencies(), 0.5),
        percentile(withoutClaims.serviceLatencies(), 0.5));
    ratio("claims on / claims off, p99 (A / A0)", percentile(live.serviceLatencies(), 0.99),
        percentile(withoutClaims.serviceLatencies(), 0.99));
    for (PhaseResult phase : List.of(live, withoutClaims, backlog, floor, pipelined)) {
      if (phase.addressed() < n) {
        System.out.printf("INCOMPLETE: %s: %d of %d seen addressed%n", phase.name(), phase.addressed(), n);
      }
    }
  }

  private static void total(String label, long nanos) {
    System.out.printf("%-58s %9.2f%n", label, nanos / 1e9);
  }

  private static void ratio(String label, long a, long b) {
    System.out.printf("ratio %-52s = %6.2f%n", label, (double) a / b);
  }

  private static void row(String label, long totalNanos, long[] latencies) {
    String total = totalNanos < 0 ? "" : String.format(Locale.ROOT, "%.2f", totalNanos / 1e9);
    System.out.printf("%-58s %9s %9.1f %9.1f %9.1f%n", label, total,
        percentile(latencies, 0.50) / 1e6, percentile(latencies, 0.99) / 1e6, percentile(latencies, 1.0) / 1e6);
  }

  /** Nearest-rank percentile; NaN-free: 0 for an empty array. */
  static long percentile(long[] values, double q) {
    if (values.length == 0) {
      return 0;
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  static long waitForLog(ControllerProcess controller, String text, Duration timeout) throws InterruptedException {
    return waitForLog(controller, text, timeout, 100);
  }

  /** Polls the log every pollMillis; returns nanoTime when the text was first seen. */
  static long waitForLog(ControllerProcess controller, String text, Duration timeout, long pollMillis)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!controller.log().contains(text)) {
      if (!controller.isAlive()) {
        throw new IllegalStateException("controller exited:\n" + controller.log());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("controller did not log \"" + text + "\" within " + timeout + ":\n" + controller.log());
      }
      Thread.sleep(pollMillis);
    }
    return System.nanoTime();
  }

  /** lbipam_reconciles_deferred_total from the controller's /metrics, or why not. */
  private static String deferred(ControllerProcess controller) {
    try {
      java.net.http.HttpResponse<String> reply = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + controller.httpPort() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      return reply.body().lines().filter(l -> l.startsWith("lbipam_reconciles_deferred_total")
          || l.startsWith("lbipam_claim_conflicts_total") || l.startsWith("lbipam_reconcile_duration_seconds_count"))
          .collect(java.util.stream.Collectors.joining("; "));
    } catch (Exception e) {
      return "unavailable: " + e;
    }
  }

  private static String tail(String text, int lines) {
    String[] all = text.split("\n");
    return String.join("\n", Arrays.asList(all).subList(Math.max(0, all.length - lines), all.length));
  }

  static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * {@link ControllerProcess} starts the controller with {@code java.class.path}. Under {@code
   * mvn exec:java} that is Maven's own launcher jar while the test class path lives in the context
   * class loader; rebuild the property from that loader so the controller JVM gets the right one.
   * Under {@code exec:exec -classpath %classpath} (or a plain java command) nothing changes.
   */
  static void ensureRealClassPath() {
    String current = System.getProperty("java.class.path", "");
    boolean hasController = Arrays.stream(current.split(File.pathSeparator))
        .anyMatch(entry -> entry.contains("controller") && (entry.endsWith("classes") || entry.endsWith(".jar")));
    if (hasController && current.contains("client-java")) {
      return;
    }
    List<String> entries = new ArrayList<>();
    // exec:java's own loader holds exactly the project's class path; its parents are Maven's.
    if (Thread.currentThread().getContextClassLoader() instanceof URLClassLoader urls) {
      for (URL url : urls.getURLs()) {
        try {
          entries.add(Path.of(url.toURI()).toString());
        } catch (Exception e) {
          // not a file URL; skip
        }
      }
    }
    if (entries.isEmpty()) {
      throw new IllegalStateException("cannot find the test class path (java.class.path=" + current
          + ", input arguments " + ManagementFactory.getRuntimeMXBean().getInputArguments()
          + "); run with exec:exec -classpath %classpath");
    }
    System.setProperty("java.class.path", String.join(File.pathSeparator, entries));
    System.out.println("note: java.class.path rebuilt from the class loader (" + entries.size() + " entries)");
  }
}
