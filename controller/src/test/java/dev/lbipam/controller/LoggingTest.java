package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Guards against the SLF4J 1.7 downgrade that silently drops every log line (see ADR 0004). */
class LoggingTest {
  @Test
  void logLinesReachLogback() {
    assertThat(LoggerFactory.getILoggerFactory()).isInstanceOf(LoggerContext.class);
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    root.addAppender(appender);
    try {
      LoggerFactory.getLogger(LoggingTest.class).info("probe key={}", "value");
    } finally {
      root.detachAppender(appender);
    }
    assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("probe key=value");
  }
}
