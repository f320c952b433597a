package dev.lbipam.testsupport;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real {@code etcd} + {@code kube-apiserver} pair on loopback ports, for integration tests.
 *
 * <p>Each instance has its own run directory (etcd data, certificates, tokens, logs), its own
 * ports and its own processes, so several can run at once ("two clusters"). There is no
 * controller-manager, scheduler or kubelet: no garbage collection, namespaces stay Terminating,
 * no Pods run.
 *
 * <p>Authentication is a static token file: one admin token (user {@code admin}, group
 * {@code system:masters}) and one token per ServiceAccount identity requested at start (user
 * {@code system:serviceaccount:<ns>:<name>}). {@value #DEFAULT_SA_NAMESPACE}/{@value
 * #DEFAULT_SA_NAME} is always included. Authorization is RBAC; no RBAC objects are created for
 * those identities, tests (or the manifest under test) must bind them.
 *
 * <pre>{@code
 * try (KubeApiServer kube = KubeApiServer.builder().serviceAccount("lbipam", "lbipam").start()) {
 *   new CoreV1Api(kube.adminClient()).listNamespace().execute();
 * }
 * }</pre>
 */
public final class KubeApiServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KubeApiServer.class);

  /** Namespace of the ServiceAccount identity that every server knows. */
  public static final String DEFAULT_SA_NAMESPACE = "kube-system";
  /** Name of the ServiceAccount identity that every server knows (kube-vip's manifest uses it). */
  public static final String DEFAULT_SA_NAME = "kube-vip-cloud-controller";
  /** Default startup timeout; system property {@code lbipam.kube.startupTimeoutSeconds} overrides. */
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(90);
  /** Set this system property to {@code true} to keep run directories (logs, data) after close. */
  public static final String KEEP_RUN_DIR_PROPERTY = "lbipam.kube.keepRunDir";

  static final String SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/16,fd00:10:96::/112";
  private static final String ADMIN_USER = "admin";
  private static final int LOG_TAIL_LINES = 40;
  private static final int PORT_ATTEMPTS = 3;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KubeBinaries binaries;
  private final Path runDir;
  private final Duration startupTimeout;
  private final List<String> extraApiServerArgs;
  private final String serviceClusterIpRange;
  private final String adminToken;
  /** "ns/name" -> token. */
  private final Map<String, String> serviceAccountTokens;
  private final Thread shutdownHook;

  private final Path etcdDataFrom;
  private final Path keepEtcdDataIn;
  private volatile Process etcd;
  private volatile Process apiServer;
  private URI url;
  private byte[] caPem;
  private ApiClient admin;
  private boolean closed;

  private KubeApiServer(Builder builder, KubeBinaries binaries, Path runDir) {
    this.binaries = binaries;
    this.runDir = runDir;
    this.startupTimeout = builder.startupTimeout;
    this.extraApiServerArgs = List.copyOf(builder.extraApiServerArgs);
    this.serviceClusterIpRange = builder.serviceClusterIpRange;
    this.etcdDataFrom = builder.etcdDataFrom;
    this.keepEtcdDataIn = builder.keepEtcdDataIn;
    this.adminToken = randomToken();
    Map<String, String> tokens = new LinkedHashMap<>();
    for (String identity : builder.serviceAccounts) {
      tokens.put(identity, randomToken());
    }
    this.serviceAccountTokens = Map.copyOf(tokens);
    this.shutdownHook = new Thread(this::killProcesses, "kube-apiserver-cleanup-" + runDir);
  }

  /** Starts a server from the binaries {@link KubeBinaries#locate()} finds. */
  public static KubeApiServer start() {
    return builder().start();
  }

  /** Starts a server from the binaries in {@code binariesFolder}. */
  public static KubeApiServer start(Path binariesFolder) {
    return builder().binaries(binariesFolder).start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options for {@link KubeApiServer}. */
  public static final class Builder {
    private Path binariesFolder;
    private final List<String> serviceAccounts = new ArrayList<>(
        List.of(DEFAULT_SA_NAMESPACE + "/" + DEFAULT_SA_NAME));
    private Duration startupTimeout = Duration.ofSeconds(
        Long.getLong("lbipam.kube.startupTimeoutSeconds", DEFAULT_STARTUP_TIMEOUT.toSeconds()));
    private final List<String> extraApiServerArgs = new ArrayList<>();
    private String serviceClusterIpRange = SERVICE_CLUSTER_IP_RANGE;
    private Path etcdDataFrom;
    private Path keepEtcdDataIn;

    private Builder() {}

    /**
     * Starts etcd on a copy of {@code dataDir}, an etcd data directory that {@link
     * #keepEtcdDataIn} saved: the objects of an earlier server, without creating them again. A
     * benchmark that needs 50,000 Services fills them once (most of an hour on 2 cores) and
     * starts from the copy after that.
     */
    public Builder etcdDataFrom(Path dataDir) {
      if (!Files.isDirectory(Objects.requireNonNull(dataDir, "dataDir").resolve("member"))) {
        throw new IllegalArgumentException("not an etcd data directory (no member/ in it): " + dataDir);
      }
      this.etcdDataFrom = dataDir;
      return this;
    }

    /**
     * On {@link #close()}, once etcd has stopped cleanly, moves its data directory to {@code
     * target} (which must not exist yet) for {@link #etcdDataFrom}.
     */
    public Builder keepEtcdDataIn(Path target) {
      this.keepEtcdDataIn = Objects.requireNonNull(target, "target");
      return this;
    }

    /**
     * The Service cluster IP ranges (default {@value KubeApiServer#SERVICE_CLUSTER_IP_RANGE}). A
     * benchmark with tens of thousands of Services wants the largest the API server takes
     * ({@code /12} and {@code /108}): it picks cluster IPs at random and retries on a taken one,
     * so creates slow down as a small range fills.
     */
    public Builder serviceClusterIpRange(String ranges) {
      this.serviceClusterIpRange = Objects.requireNonNull(ranges, "ranges");
      return this;
    }

    /** The folder with {@code kube-apiserver} and {@code etcd}; default {@link KubeBinaries#locate()}. */
    public Builder binaries(Path folder) {
      this.binariesFolder = Objects.requireNonNull(folder, "folder");
      return this;
    }

    /**
     * Adds a ServiceAccount identity with its own bearer token (see {@link #clientAs}). The
     * ServiceAccount object itself is not created; only the identity is known to the server.
     */
    public Builder serviceAccount(String namespace, String name) {
      String identity = identity(namespace, name);
      if (!serviceAccounts.contains(identity)) {
        serviceAccounts.add(identity);
      }
      return this;
    }

    /** How long etcd and kube-apiserver together may take to become ready. */
    public Builder startupTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startup timeout must be positive: " + timeout);
      }
      this.startupTimeout = timeout;
      return this;
    }

    /**
     * Writes an audit log (JSON lines, stage ResponseComplete, Metadata level) of every create,
     * update, patch and delete to {@code log}; with {@code resourceRules} (policy YAML lines such as
     * {@code "{group: \"\", resources: [services]}"}) only of those resources.
     */
    public Builder auditWrites(java.nio.file.Path log, String... resourceRules) throws java.io.IOException {
      java.util.List<String> lines = new java.util.ArrayList<>(java.util.List.of(
          "apiVersion: audit.k8s.io/v1",
          "kind: Policy",
          "omitStages: [RequestReceived]",
          "rules:",
          "  - level: Metadata",
          "    verbs: [create, update, patch, delete]"));
      if (resourceRules.length > 0) {
        lines.add("    resources:");
        for (String rule : resourceRules) {
          lines.add("      - " + rule);
        }
        lines.add("  - level: None");
      }
      lines.add("");
      java.nio.file.Path policy = log.resolveSibling(log.getFileName() + ".policy.yaml");
      java.nio.file.Files.writeString(policy, String.join("\n", lines));
      return apiServerArg("--audit-policy-file=" + policy).apiServerArg("--audit-log-path=" + log);
    }

    /** An extra kube-apiserver flag, e.g. {@code --feature-gates=Foo=true}. */
    public Builder apiServerArg(String arg) {
      extraApiServerArgs.add(Objects.requireNonNull(arg, "arg"));
      return this;
    }

    /**
     * Starts etcd and kube-apiserver and waits until the API is ready and namespaces
     * {@code default} and {@code kube-system} exist.
     *
     * @throws IllegalStateException if the binaries are missing or the server does not become
     *     ready in time (the message holds the tails of the process logs)
     */
    public KubeApiServer start() {
      KubeBinaries binaries =
          binariesFolder != null ? KubeBinaries.at(binariesFolder) : KubeBinaries.locate();
      Path runDir;
      try {
        runDir = Files.createTempDirectory("lbipam-kube-");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a run directory", e);
      }
      KubeApiServer server = new KubeApiServer(this, binaries, runDir);
      Runtime.getRuntime().addShutdownHook(server.shutdownHook);
      try {
        server.startProcesses();
        return server;
      } catch (RuntimeException | Error e) {
        try {
          server.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // accessors

  /** {@code https://127.0.0.1:<port>}. */
  public URI url() {
    return url;
  }

  /** The run directory: etcd data, certs, token file, logs. Deleted on {@link #close()}. */
  public Path runDirectory() {
    return runDir;
  }

  /**
   * The self-generated serving certificate bundle ({@code <run>/certs/apiserver.crt}); clients
   * trust it as CA.
   */
  public Path caCertificate() {
    return runDir.resolve("certs").resolve("apiserver.crt");
  }

  /** PEM bytes of {@link #caCertificate()}. */
  public byte[] caCertificatePem() {
    return caPem.clone();
  }

  /** Bearer token of user {@code admin} in group {@code system:masters}. */
  public String adminToken() {
    return adminToken;
  }

  /** Bearer token of {@code system:serviceaccount:<namespace>:<name>}. */
  public String serviceAccountToken(String namespace, String name) {
    String token = serviceAccountTokens.get(identity(namespace, name));
    if (token == null) {
      throw new IllegalArgumentException(
          "No token for ServiceAccount " + namespace + "/" + name + "; this server knows "
              + serviceAccountTokens.keySet() + ". Add it with KubeApiServer.builder()"
              + ".serviceAccount(\"" + namespace + "\", \"" + name + "\").start()");
    }
    return token;
  }

  /**
   * A new admin client (system:masters). Finite timeouts: connect 10 s, read and write 30 s. For
   * informers, derive a client with read timeout 0 from {@code getHttpClient().newBuilder()}.
   */
  public ApiClient adminClient() {
    return client(adminToken);
  }

  /** A new client that authenticates as {@code system:serviceaccount:<saNamespace>:<saName>}. */
  public ApiClient clientAs(String saNamespace, String saName) {
    return client(serviceAccountToken(saNamespace, saName));
  }

  /**
   * A new admin client whose every request carries {@code Impersonate-User: user} and one
   * {@code Impersonate-Group} header per group. With no groups and a ServiceAccount user name,
   * the server adds the ServiceAccount groups itself.
   */
  public ApiClient impersonating(String user, String... groups) {
    Objects.requireNonNull(user, "user");
    List<String> groupList = List.of(groups);
    ApiClient client = client(adminToken);
    client.setHttpClient(client.getHttpClient().newBuilder()
        .addInterceptor(chain -> {
          Request.Builder request = chain.request().newBuilder()
              .removeHeader("Impersonate-User").removeHeader("Impersonate-Group")
              .addHeader("Impersonate-User", user);
          for (String group : groupList) {
            request.addHeader("Impersonate-Group", group);
          }
          return chain.proceed(request.build());
        })
        .build());
    return client;
  }

  /**
   * Writes a kubeconfig for {@code system:serviceaccount:<saNamespace>:<saName>} (server,
   * embedded CA, bearer token) to {@code file} and returns it.
   */
  public Path writeKubeconfig(Path file, String saNamespace, String saName) {
    return kubeconfig(file, "system:serviceaccount:" + saNamespace + ":" + saName,
        serviceAccountToken(saNamespace, saName));
  }

  /** Writes an admin kubeconfig to {@code file} and returns it. */
  public Path writeAdminKubeconfig(Path file) {
    return kubeconfig(file, ADMIN_USER, adminToken);
  }

  /** An admin kubeconfig in the run directory ({@code <run>/admin.kubeconfig}). */
  public Path adminKubeconfig() {
    return writeAdminKubeconfig(runDir.resolve("admin.kubeconfig"));
  }

  /**
   * Creates a namespace named {@code <prefix>-<random>} (lower-cased, cut to a valid DNS label)
   * and returns its name. Namespaces are never finalized here (no controller-manager), so use a
   * fresh one per test rather than deleting and recreating.
   */
  public String createNamespace(String prefix) {
    String base = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-")
        .replaceAll("^-+", "").replaceAll("-+$", "");
    if (base.isEmpty()) {
      base = "test";
    }
    if (base.length() > 50) {
      base = base.substring(0, 50).replaceAll("-+$", "");
    }
    CoreV1Api core = new CoreV1Api(admin);
    for (int attempt = 0; ; attempt++) {
      String name = base + "-" + randomSuffix(6);
      try {
        core.createNamespace(new V1Namespace().metadata(new V1ObjectMeta().name(name))).execute();
        return name;
      } catch (ApiException e) {
        if (e.getCode() != 409 || attempt >= 5) {
          throw new IllegalStateException("cannot create namespace " + name + ": HTTP "
              + e.getCode() + " " + e.getResponseBody(), e);
        }
      }
    }
  }

  /** Stops kube-apiserver, then etcd, and deletes the run directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stop(apiServer, "kube-apiserver");
    stop(etcd, "etcd");
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook runs anyway; processes are gone already
    }
    // etcd stops on SIGTERM and then raises it again: 143 is its clean exit.
    if (keepEtcdDataIn != null && etcd != null && !etcd.isAlive() && (etcd.exitValue() == 0 || etcd.exitValue() == 143)) {
      try {
        Files.createDirectories(keepEtcdDataIn.toAbsolutePath().getParent());
        Files.move(runDir.resolve("etcd-data"), keepEtcdDataIn);
        log.info("etcd data kept in {}", keepEtcdDataIn);
      } catch (IOException e) {
        log.warn("cannot keep the etcd data in {}: {}", keepEtcdDataIn, e.toString());
      }
    } else if (keepEtcdDataIn != null) {
      log.warn("etcd did not stop cleanly (exit {}); its data is not kept in {}",
          etcd == null || etcd.isAlive() ? "none" : etcd.exitValue(), keepEtcdDataIn);
    }
    if (Boolean.getBoolean(KEEP_RUN_DIR_PROPERTY)) {
      log.info("keeping run directory {}", runDir);
    } else {
      deleteRecursively(runDir);
    }
  }

  @Override
  public String toString() {
    return "KubeApiServer[" + url + ", run dir " + runDir + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // startup

  private void startProcesses() {
    long deadline = System.nanoTime() + startupTimeout.toNanos();
    Path saKey = runDir.resolve("sa.key");
    Path saPub = runDir.resolve("sa.pub");
    Path tokens = runDir.resolve("tokens.csv");
    try {
      Files.createDirectories(runDir.resolve("certs"));
      writeServiceAccountKeys(saKey, saPub);
      writeTokenFile(tokens);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + runDir, e);
    }

    String etcdUrl = startEtcd(deadline);
    startApiServer(etcdUrl, saKey, saPub, tokens, deadline);
    log.info("kube-apiserver ready at {} (run dir {})", url, runDir);
  }

  private String startEtcd(long deadline) {
    Path dataDir = runDir.resolve("etcd-data");
    for (int attempt = 1; ; attempt++) {
      if (etcdDataFrom != null) {
        copyRecursively(etcdDataFrom, dataDir);
      }
      int clientPort = Ports.freeLoopbackPort();
      int peerPort = Ports.freeLoopbackPort();
      String clientUrl = "http://127.0.0.1:" + clientPort;
      String peerUrl = "http://127.0.0.1:" + peerPort;
      List<String> command = List.of(
          binaries.etcd().toString(),
          "--data-dir", dataDir.toString(),
          "--listen-client-urls", clientUrl,
          "--advertise-client-urls", clientUrl,
          "--listen-peer-urls", peerUrl,
          // keep the single member's peer URL consistent with what it listens on
          "--initial-advertise-peer-urls", peerUrl,
          "--initial-cluster", "default=" + peerUrl,
          "--unsafe-no-fsync");
      etcd = launch(command, runDir.resolve("etcd.log"));
      if (waitFor("etcd", etcd, deadline, () -> etcdHealthy(clientUrl))) {
        return clientUrl;
      }
      // the process died: retry on other ports if that was a port clash, else give up
      if (attempt < PORT_ATTEMPTS && logMentionsPortClash(runDir.resolve("etcd.log"))) {
        log.warn("etcd lost a port race, retrying on other ports");
        deleteRecursively(dataDir);
        continue;
      }
      throw startupFailure("etcd exited with code " + etcd.exitValue());
    }
  }

  private void startApiServer(String etcdUrl, Path saKey, Path saPub, Path tokens, long deadline) {
    Path logFile = runDir.resolve("kube-apiserver.log");
    for (int attempt = 1; ; attempt++) {
      int port = Ports.freeLoopbackPort();
      url = URI.create("https://127.0.0.1:" + port);
      List<String> command = new ArrayList<>(List.of(
          binaries.kubeApiServer().toString(),
          "--etcd-servers", etcdUrl,
          "--secure-port", Integer.toString(port),
          "--bind-address", "127.0.0.1",
          "--advertise-address", "127.0.0.1",
          "--cert-dir", runDir.resolve("certs").toString(),
          "--service-cluster-ip-range", serviceClusterIpRange,
          "--authorization-mode", "RBAC",
          "--disable-admission-plugins", "ServiceAccount",
          "--allow-privileged",
          "--token-auth-file", tokens.toString(),
          "--service-account-issuer", "https://127.0.0.1:" + port + "/",
          "--service-account-key-file", saPub.toString(),
          "--service-account-signing-key-file", saKey.toString()));
      command.addAll(extraApiServerArgs);
      apiServer = launch(command, logFile);
      if (waitFor("kube-apiserver", apiServer, deadline, this::apiServerReady)) {
        return;
      }
      if (attempt < PORT_ATTEMPTS && logMentionsPortClash(logFile)) {
        log.warn("kube-apiserver lost a port race, retrying on another port");
        admin = null;
        caPem = null;
        continue;
      }
      throw startupFailure("kube-apiserver exited with code " + apiServer.exitValue());
    }
  }

  /** True once the server is ready; false if the process died; throws on timeout. */
  private boolean waitFor(String what, Process process, long deadline, Probe probe) {
    String lastProblem = "no answer yet";
    while (true) {
      if (!process.isAlive()) {
        return false;
      }
      try {
        String problem = probe.problem();
        if (problem == null) {
          return true;
        }
        lastProblem = problem;
      } catch (Exception e) {
        lastProblem = e.toString();
      }
      if (System.nanoTime() - deadline > 0) {
        throw startupFailure(what + " not ready within " + startupTimeout.toSeconds()
            + " s (last check: " + lastProblem + ")");
      }
      sleep(200);
    }
  }

  @FunctionalInterface
  private interface Probe {
    /** null when ready, else what is still missing. */
    String problem() throws Exception;
  }

  private String etcdHealthy(String clientUrl) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create(clientUrl + "/health"))
            .timeout(Duration.ofSeconds(2)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return response.statusCode() == 200 && response.body().contains("true")
        ? null
        : "GET /health: " + response.statusCode() + " " + response.body();
  }

  private String apiServerReady() throws IOException {
    if (admin == null) {
      // the server writes its self-signed serving cert before it listens
      Path crt = caCertificate();
      if (!Files.isRegularFile(crt)) {
        return "no " + crt + " yet";
      }
      byte[] pem = Files.readAllBytes(crt);
      try {
        if (CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(pem)).isEmpty()) {
          return "no certificate in " + crt + " yet";
        }
      } catch (CertificateException e) {
        return crt + " not complete yet: " + e.getMessage();
      }
      caPem = pem;
      admin = client(adminToken);
    }
    OkHttpClient http = admin.getHttpClient().newBuilder()
        .readTimeout(Duration.ofSeconds(5)).callTimeout(Duration.ofSeconds(5)).build();
    try (Response response = http.newCall(new Request.Builder()
        .url(url + "/readyz").header("Authorization", "Bearer " + adminToken).build()).execute()) {
      if (response.code() != 200) {
        String body = response.body() == null ? "" : response.body().string();
        return "GET /readyz: " + response.code() + " " + lastLines(body, 5);
      }
    }
    CoreV1Api core = new CoreV1Api(admin);
    for (String namespace : List.of("default", "kube-system")) {
      try {
        core.readNamespace(namespace).execute();
      } catch (ApiException e) {
        return "namespace " + namespace + ": HTTP " + e.getCode();
      }
    }
    return null;
  }

  private Process launch(List<String> command, Path logFile) {
    log.debug("starting {}", command);
    try {
      Process process = new ProcessBuilder(command)
          .directory(runDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
      process.getOutputStream().close(); // no stdin
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0), e);
    }
  }

  private IllegalStateException startupFailure(String problem) {
    StringBuilder message = new StringBuilder(problem)
        .append(". Binaries: ").append(binaries.folder())
        .append(", run dir: ").append(runDir)
        .append(Boolean.getBoolean(KEEP_RUN_DIR_PROPERTY)
            ? "" : " (deleted on close; -D" + KEEP_RUN_DIR_PROPERTY + "=true keeps it)");
    for (String name : List.of("etcd.log", "kube-apiserver.log")) {
      Path file = runDir.resolve(name);
      if (Files.exists(file)) {
        message.append("\n--- last ").append(LOG_TAIL_LINES).append(" lines of ").append(name)
            .append(" ---\n").append(tail(file, LOG_TAIL_LINES));
      }
    }
    return new IllegalStateException(message.toString());
  }

  private static boolean logMentionsPortClash(Path logFile) {
    return tail(logFile, 200).contains("address already in use");
  }

  // ---------------------------------------------------------------------------------------------
  // files

  private void writeServiceAccountKeys(Path privateKeyFile, Path publicKeyFile) throws IOException {
    KeyPair pair;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      pair = generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    writePrivate(privateKeyFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    Files.writeString(publicKeyFile, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
  }

  static String pem(String type, byte[] der) {
    String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
  }

  private void writeTokenFile(Path file) throws IOException {
    StringBuilder csv = new StringBuilder();
    // token,user,uid,"group1,group2"
    csv.append(adminToken).append(',').append(ADMIN_USER).append(",admin,\"system:masters\"\n");
    for (Map.Entry<String, String> entry : serviceAccountTokens.entrySet()) {
      String[] nsName = entry.getKey().split("/", 2);
      String user = "system:serviceaccount:" + nsName[0] + ":" + nsName[1];
      csv.append(entry.getValue()).append(',').append(user).append(',')
          .append("sa-").append(nsName[0]).append('-').append(nsName[1]).append(',')
          .append("\"system:serviceaccounts,system:serviceaccounts:").append(nsName[0])
          .append(",system:authenticated\"\n");
    }
    writePrivate(file, csv.toString());
  }

  private Path kubeconfig(Path file, String user, String token) {
    String ca = Base64.getEncoder().encodeToString(caPem);
    String yaml = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: lbipam-test
          cluster:
            server: "%1$s"
            certificate-authority-data: "%2$s"
        users:
        - name: "%3$s"
          user:
            token: "%4$s"
        contexts:
        - name: lbipam-test
          context:
            cluster: lbipam-test
            user: "%3$s"
        current-context: lbipam-test
        preferences: {}
        """.formatted(url, ca, user, token);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      writePrivate(file, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return file;
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Files.writeString(file, content, StandardCharsets.UTF_8);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // fine on non-POSIX file systems
    }
  }

  /** The last {@code lines} lines of a file, reading at most its last 256 KiB. */
  static String tail(Path file, int lines) {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      int size = (int) Math.min(length, 256 * 1024);
      byte[] buffer = new byte[size];
      raf.seek(length - size);
      raf.readFully(buffer);
      return lastLines(new String(buffer, StandardCharsets.UTF_8), lines);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static String lastLines(String text, int lines) {
    List<String> all = Arrays.asList(text.split("\n", -1));
    if (!all.isEmpty() && all.get(all.size() - 1).isEmpty()) {
      all = all.subList(0, all.size() - 1);
    }
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  private static void copyRecursively(Path from, Path to) {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Files.copy(path, to.resolve(from.relativize(path).toString()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the etcd data " + from + " to " + to, e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> {
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) {
          log.warn("cannot delete {}: {}", path, e.toString());
        }
      });
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", dir, e.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // clients and processes

  private ApiClient client(String token) {
    if (caPem == null) {
      throw new IllegalStateException("kube-apiserver is not started");
    }
    ApiClient client = new ClientBuilder()
        .setBasePath(url.toString())
        .setCertificateAuthority(caPem)
        .setAuthentication(new AccessTokenAuthentication(token))
        .setReadTimeout(READ_TIMEOUT)
        .build();
    client.setHttpClient(client.getHttpClient().newBuilder()
        .connectTimeout(CONNECT_TIMEOUT)
        .readTimeout(READ_TIMEOUT)
        .writeTimeout(READ_TIMEOUT)
        .build());
    return client;
  }

  private static void stop(Process process, String name) {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        log.warn("{} did not stop within 15 s of SIGTERM, killing it", name);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Shutdown-hook path: the JVM is exiting without close(); do not leave processes behind. */
  private void killProcesses() {
    for (Process process : new Process[] {apiServer, etcd}) {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }

  private static String identity(String namespace, String name) {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    if (namespace.isBlank() || name.isBlank() || namespace.contains("/")
        || namespace.contains(":") || name.contains(":") || name.contains(",")) {
      throw new IllegalArgumentException("bad ServiceAccount " + namespace + "/" + name);
    }
    return namespace + "/" + name;
  }

  private static String randomToken() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static String randomSuffix(int length) {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder suffix = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      suffix.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
    }
    return suffix.toString();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting kube-apiserver", e);
    }
  }
}
