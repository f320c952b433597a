package dev.lbipam.controller;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops what client-java's informers log at ERROR when a clean shutdown interrupts their threads
 * ({@code processor interrupted}, {@code processLoop get interrupted}): a clean SIGTERM logs no
 * error. Only while stopping, and only for an InterruptedException; anything else still shows.
 */
public final class ShutdownNoise extends Filter<ILoggingEvent> {
  private static volatile boolean stopping;

  /** Called when the controller starts its clean shutdown. */
  public static void stopping() {
    stopping = true;
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    if (!stopping || !event.getLoggerName().startsWith("io.kubernetes.client.")) {
      return FilterReply.NEUTRAL;
    }
    IThrowableProxy error = event.getThrowableProxy();
    return error != null && error.getClassName().equals(InterruptedException.class.getName())
        ? FilterReply.DENY
        : FilterReply.NEUTRAL;
  }
}
