package dev.lbipam.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports on the loopback interface. */
public final class Ports {

  private Ports() {}

  /**
   * A TCP port that was free on 127.0.0.1 a moment ago. There is an unavoidable race between
   * closing the probe socket and the caller binding it; callers that start processes should treat
   * "address already in use" as a reason to retry with a new port.
   */
  public static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
