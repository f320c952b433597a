package dev.lbipam.testsupport.netbox;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK HTTP server on a loopback port that can stop listening (clients get "connection
 * refused") and listen again on the same port, for the stand-in and the fault proxy. With an idle
 * close, the server sits behind an {@link IdleClosingRelay} on that port, which drops connections
 * idle past it as gunicorn does.
 */
final class LoopbackListener {
  private static final Logger LOG = LoggerFactory.getLogger(LoopbackListener.class);

  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle plus the
    // client's delayed ACK adds ~40 ms to some replies. NetBox's front ends (nginx, gunicorn) set
    // it. Read once when the JDK's server classes load, so set it before the first server.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final String name;
  private final SSLContext tls;
  private final HttpHandler handler;
  private final ExecutorService executor;
  private final Duration idleClose;
  private final int port;
  /** Behind the relay with an idle close: up from construction to {@link #close()}. */
  private final HttpServer behindRelay;
  private HttpServer server;
  private IdleClosingRelay relay;

  /** Listens on {@code wanted} (0: a free port); {@code tls} null for plain HTTP. */
  LoopbackListener(String name, int wanted, SSLContext tls, HttpHandler handler, ExecutorService executor) {
    this(name, wanted, tls, handler, executor, null);
  }

  /** As above; {@code idleClose} non-null: connections quiet for longer are dropped when next used. */
  LoopbackListener(
      String name, int wanted, SSLContext tls, HttpHandler handler, ExecutorService executor, Duration idleClose) {
    this.name = name;
    this.tls = tls;
    this.handler = handler;
    this.executor = executor;
    this.idleClose = idleClose;
    if (idleClose == null) {
      this.behindRelay = null;
      this.server = bind(wanted);
      this.port = server.getAddress().getPort();
    } else {
      this.behindRelay = bind(0);
      this.relay = new IdleClosingRelay(name, wanted, behindRelay.getAddress(), idleClose);
      this.port = relay.port();
    }
  }

  int port() {
    return port;
  }

  synchronized boolean listening() {
    return server != null || relay != null;
  }

  synchronized void stop() {
    if (server != null) {
      server.stop(0);
      server = null;
      LOG.info("{} stopped listening port={}", name, port);
    }
    if (relay != null) {
      relay.close();
      relay = null;
      LOG.info("{} stopped listening port={}", name, port);
    }
  }

  /** Stops listening for good. */
  synchronized void close() {
    stop();
    if (behindRelay != null) {
      behindRelay.stop(0);
    }
  }

  /** Listens again on the same port; waits up to 5 s for the port to be free. */
  synchronized void start() {
    if (listening()) {
      return;
    }
    UncheckedIOException last = null;
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        if (behindRelay != null) {
          relay = new IdleClosingRelay(name, port, behindRelay.getAddress(), idleClose);
        } else {
          server = bind(port);
        }
        LOG.info("{} listening again port={}", name, port);
        return;
      } catch (UncheckedIOException e) {
        last = e;
        try {
          Thread.sleep(100);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
    throw last;
  }

  private HttpServer bind(int wanted) {
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted);
    try {
      HttpServer created;
      if (tls != null) {
        HttpsServer https = HttpsServer.create(address, 64);
        https.setHttpsConfigurator(new HttpsConfigurator(tls));
        created = https;
      } else {
        created = HttpServer.create(address, 64);
      }
      created.createContext("/", handler);
      created.setExecutor(executor);
      created.start();
      return created;
    } catch (IOException e) {
      throw new UncheckedIOException(name + " could not listen on 127.0.0.1:" + wanted, e);
    }
  }
}
