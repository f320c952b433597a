package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PacedEventSinkTest {
  private static final PacedEventSink.Policy POLICY = new PacedEventSink.Policy(Duration.ofMillis(250), Duration.ofSeconds(20));

  record Case(String description, long sinceLastRequestMillis, long ageMillis, long expectedWaitMillis) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("quiet for longer than the quiet period: write now", 300, 100, 0),
        new Case("quiet for exactly the quiet period: write now", 250, 100, 0),
        new Case("a request just now: wait out the quiet period", 0, 100, 250),
        new Case("a request 100 ms ago: wait the rest", 100, 100, 150),
        new Case("busy, but the Event is due: write now", 0, 20_000, 0),
        new Case("busy, and the Event is nearly due: wait only until it is", 0, 19_900, 100),
        new Case("older than the maximum delay", 10, 25_000, 0));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void waitsForAQuietMomentOrTheMaximumDelay(Case c) {
    long wait = PacedEventSink.waitNanos(
        Duration.ofMillis(c.sinceLastRequestMillis()).toNanos(), Duration.ofMillis(c.ageMillis()).toNanos(), POLICY);
    assertThat(Duration.ofNanos(wait)).isEqualTo(Duration.ofMillis(c.expectedWaitMillis()));
  }
}
