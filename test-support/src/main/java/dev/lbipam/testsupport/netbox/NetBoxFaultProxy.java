package dev.lbipam.testsupport.netbox;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP proxy on a free loopback port in front of a NetBox (a real one, usually), with the
 * stand-in's fault switches: injected statuses, replies lost after the upstream carried the
 * request out, latency, and refused connections. The upstream sees the proxy's address as the
 * Host, so the URLs NetBox puts in its replies lead back through the proxy.
 */
public final class NetBoxFaultProxy implements FaultyNetBox, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NetBoxFaultProxy.class);
  /** Hop-by-hop headers, and those the forwarding client sets itself. */
  private static final Set<String> NOT_FORWARDED =
      Set.of("host", "connection", "keep-alive", "content-length", "transfer-encoding", "accept-encoding",
          "content-encoding", "upgrade", "proxy-connection", "te", "trailer");

  private final String upstream;
  private final FaultPlan faults = new FaultPlan();
  // Its connections to gunicorn must not outlive gunicorn's keep-alive (2 s) either.
  private final OkHttpClient http = new OkHttpClient.Builder().followRedirects(false).retryOnConnectionFailure(false)
      .connectionPool(new ConnectionPool(16, 1, TimeUnit.SECONDS))
      .readTimeout(java.time.Duration.ofSeconds(120)).build();
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "netbox-fault-proxy");
    t.setDaemon(true);
    return t;
  });
  private final LoopbackListener listener;

  private NetBoxFaultProxy(String upstream) {
    this.upstream = upstream.replaceAll("/+$", "");
    this.listener = new LoopbackListener("NetBox fault proxy", 0, null, this::handle, executor);
    LOG.info("NetBox fault proxy listening url={} upstream={}", url(), this.upstream);
  }

  /** A proxy to {@code upstream}, e.g. {@link RealNetBox#url()}. */
  public static NetBoxFaultProxy to(String upstream) {
    return new NetBoxFaultProxy(upstream);
  }

  @Override
  public String url() {
    return "http://127.0.0.1:" + listener.port();
  }

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

  @Override
  public synchronized void close() {
    stopListening();
    executor.shutdownNow();
    http.connectionPool().evictAll();
    http.dispatcher().executorService().shutdown();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      String rawQuery = exchange.getRequestURI().getRawQuery();
      HttpCall call = new HttpCall(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
          rawQuery == null ? "" : rawQuery);
      Optional<Integer> injected = faults.arrived(call);
      if (injected.isPresent()) {
        byte[] detail = ("{\"detail\":\"fault proxy: injected " + injected.get() + "\"}").getBytes(StandardCharsets.UTF_8);
        reply(exchange, injected.get(), Map.of("Content-Type", List.of("application/json")), detail);
        return;
      }
      try (Response response = http.newCall(forwarded(exchange, body)).execute()) {
        byte[] answer = response.body().bytes();
        if (faults.loseReply(call, response.code())) {
          LOG.info("fault proxy dropping the reply of {} {} status={}", call.method(), call.path(), response.code());
          return; // exchange.close() without headers closes the connection: the reply is lost
        }
        reply(exchange, response.code(), response.headers().toMultimap(), answer);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("fault proxy could not forward {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
      try {
        reply(exchange, 502, Map.of(), new byte[0]);
      } catch (IOException | RuntimeException ignored) {
        // the client's connection is already gone
      }
    } finally {
      exchange.close();
    }
  }

  private Request forwarded(HttpExchange exchange, byte[] body) {
    String target = upstream + exchange.getRequestURI().getRawPath()
        + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
    Request.Builder request = new Request.Builder().url(target);
    exchange.getRequestHeaders().forEach((name, values) -> {
      if (!NOT_FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        values.forEach(value -> request.addHeader(name, value));
      }
    });
    request.header("Host", "127.0.0.1:" + listener.port());
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    String method = exchange.getRequestMethod();
    RequestBody requestBody = body.length == 0 && (method.equals("GET") || method.equals("HEAD") || method.equals("DELETE"))
        ? null : RequestBody.create(body, contentType == null ? null : MediaType.parse(contentType));
    return request.method(method, requestBody).build();
  }

  private static void reply(HttpExchange exchange, int status, Map<String, List<String>> headers, byte[] body)
      throws IOException {
    headers.forEach((name, values) -> {
      if (!NOT_FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        exchange.getResponseHeaders().put(name, values);
      }
    });
    boolean empty = body.length == 0 || status == 204 || status == 304;
    exchange.sendResponseHeaders(status, empty ? -1 : body.length);
    if (!empty) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
