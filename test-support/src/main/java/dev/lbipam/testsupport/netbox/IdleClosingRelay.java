package dev.lbipam.testsupport.netbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP front on a loopback port that relays every connection to an upstream server and, as
 * gunicorn does with a keep-alive connection it has expired, drops a connection whose client
 * speaks after it has been quiet (no byte either way) for longer than {@code idleClose}: the
 * bytes are not forwarded and the client reads end of stream.
 *
 * <p>Each accepted socket is its own connection. Keying idleness by the client's address instead
 * would treat a new connection that reuses a closed one's ephemeral port (loopback allows it
 * straight out of TIME_WAIT) as idle, and drop its first request.
 */
final class IdleClosingRelay implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IdleClosingRelay.class);
  private static final int BUFFER = 16 * 1024;

  private final String name;
  private final ServerSocket front;
  private final InetSocketAddress upstream;
  private final long idleNanos;
  private final Set<Pair> open = ConcurrentHashMap.newKeySet();

  /** Listens on {@code port} (0: a free one) and relays to {@code upstream}. */
  IdleClosingRelay(String name, int port, InetSocketAddress upstream, Duration idleClose) {
    this.name = name;
    this.upstream = upstream;
    this.idleNanos = idleClose.toNanos();
    try {
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
      this.front = socket;
    } catch (IOException e) {
      throw new UncheckedIOException(name + " could not listen on 127.0.0.1:" + port, e);
    }
    daemon(name + "-accept", this::acceptLoop).start();
  }

  int port() {
    return front.getLocalPort();
  }

  /** Stops accepting and cuts every open connection. */
  @Override
  public void close() {
    try {
      front.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Pair pair : open) {
      pair.close();
    }
  }

  private void acceptLoop() {
    while (!front.isClosed()) {
      Socket client;
      try {
        client = front.accept();
      } catch (IOException e) {
        return; // closed
      }
      try {
        Socket server = new Socket();
        server.connect(upstream, 5_000);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        Pair pair = new Pair(client, server);
        open.add(pair);
        daemon(name + "-up", pair::clientToServer).start();
        daemon(name + "-down", pair::serverToClient).start();
      } catch (IOException e) {
        LOG.warn("{} could not reach its upstream {}: {}", name, upstream, e.toString());
        quietly(client);
      }
    }
  }

  /** One client connection and its upstream connection. */
  private final class Pair {
    private final Socket client;
    private final Socket server;
    private volatile long lastByte = System.nanoTime();

    Pair(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void clientToServer() {
      pump(client, server, true);
    }

    void serverToClient() {
      pump(server, client, false);
    }

    /** Copies one direction until either side goes away; a client's bytes after the idle limit close it instead. */
    private void pump(Socket from, Socket to, boolean fromClient) {
      byte[] buffer = new byte[BUFFER];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          if (fromClient && System.nanoTime() - lastByte > idleNanos) {
            LOG.debug("{} dropping a request on a connection idle past the keep-alive", name);
            drop();
            return;
          }
          out.write(buffer, 0, n);
          out.flush();
          lastByte = System.nanoTime();
        }
      } catch (IOException ignored) {
        // either side went away
      } finally {
        close();
      }
    }

    /** End of stream to the client (FIN, not a reset), after reading what it still sends. */
    private void drop() throws IOException {
      quietly(server);
      client.shutdownOutput();
      client.setSoTimeout(1_000);
      byte[] discard = new byte[BUFFER];
      try {
        while (client.getInputStream().read(discard) >= 0) {
          // the rest of the dropped request
        }
      } catch (SocketException | java.net.SocketTimeoutException ignored) {
        // closing anyway
      }
    }

    void close() {
      open.remove(this);
      quietly(client);
      quietly(server);
    }
  }

  private static void quietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    return thread;
  }
}
