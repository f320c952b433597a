package dev.lbipam.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/** {@code /metrics}, {@code /healthz} and {@code /readyz} on one JDK HTTP server. */
public final class HttpEndpoints implements AutoCloseable {
  private final HttpServer server;

  public HttpEndpoints(
      String bindAddress, int port, CollectorRegistry[] registries, BooleanSupplier healthy, BooleanSupplier ready)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(bindAddress, port), 16);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "http");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/healthz", ex -> respond(ex, healthy.getAsBoolean() ? 200 : 503, healthy.getAsBoolean() ? "ok\n" : "unhealthy\n", "text/plain"));
    server.createContext("/readyz", ex -> respond(ex, ready.getAsBoolean() ? 200 : 503, ready.getAsBoolean() ? "ok\n" : "not ready\n", "text/plain"));
    server.createContext(
        "/metrics",
        ex -> {
          StringWriter out = new StringWriter();
          for (CollectorRegistry registry : registries) {
            TextFormat.write004(out, registry.metricFamilySamples());
          }
          respond(ex, 200, out.toString(), TextFormat.CONTENT_TYPE_004);
        });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String body, String contentType) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
