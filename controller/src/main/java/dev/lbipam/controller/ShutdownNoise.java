package dev.lbipam.controller;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops what client-java logs at ERROR when a clean shutdown interrupts its threads ({@code
 * processor interrupted}, {@code processLoop get interrupted}) or stops a controller that was still
 * waiting to start ({@code Unexpected controller termination}: its executor is already shut): a
 * clean SIGTERM logs no error. Only while stopping, and only for those two exceptions.
 */
public final class ShutdownNoise extends Filter<ILoggingEvent> {
  private static final java.util.Set<String> EXPECTED = java.util.Set.of(
      InterruptedException.class.getName(), java.util.concurrent.RejectedExecutionException.class.getName());
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
    return error != null && EXPECTED.contains(error.getClassName()) ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
