package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.controller.LeaseElector.Next;
import dev.lbipam.controller.LeaseElector.Seen;
import dev.lbipam.controller.LeaseElector.Step;
import dev.lbipam.controller.LeaseElector.Timing;
import io.kubernetes.client.extended.leaderelection.LeaderElectionRecord;
import java.time.Duration;
import java.util.Date;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LeaseElectorTest {
  static final Timing TIMING = new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
  static final long SECOND = 1_000_000_000L;
  static final long POLL = SECOND / 2;
  static final long T0 = 1_000 * SECOND;

  static LeaderElectionRecord held(String holder, long renewedMillis, int transitions) {
    return new LeaderElectionRecord(holder, 15, new Date(0), new Date(renewedMillis), transitions, null);
  }

  static final LeaderElectionRecord OTHER = held("other", 5_000, 3);
  static final LeaderElectionRecord OTHER_RENEWED = held("other", 7_000, 3);
  static final LeaderElectionRecord RELEASED = new LeaderElectionRecord(null, 1, null, null, 4, null);

  static Stream<Arguments> steps() {
    return Stream.of(
        Arguments.of("no Lease: create it", Optional.empty(), null, T0, new Next.Create()),
        Arguments.of("released (empty holder): take at once", Optional.of(RELEASED), new Seen(OTHER, T0), T0,
            new Next.Take(5)),
        Arguments.of("our own record (a lost reply): take, same transitions", Optional.of(held("me", 5_000, 3)), null,
            T0, new Next.Take(3)),
        Arguments.of("held, first look: start the clock, poll", Optional.of(OTHER), null, T0, new Next.Wait(POLL)),
        Arguments.of("held, unchanged, 10 s later: poll", Optional.of(OTHER), new Seen(OTHER, T0), T0 + 10 * SECOND,
            new Next.Wait(POLL)),
        Arguments.of("held, unchanged, 0.2 s left: wake exactly at expiry", Optional.of(OTHER), new Seen(OTHER, T0),
            T0 + 15 * SECOND - SECOND / 5, new Next.Wait(SECOND / 5)),
        Arguments.of("held, unchanged for a full lease: take", Optional.of(OTHER), new Seen(OTHER, T0),
            T0 + 15 * SECOND, new Next.Take(4)),
        Arguments.of("renewed just before expiry: the clock starts again", Optional.of(OTHER_RENEWED),
            new Seen(OTHER, T0), T0 + 15 * SECOND, new Next.Wait(POLL)),
        Arguments.of("a new holder: the clock starts again", Optional.of(held("third", 5_000, 4)),
            new Seen(OTHER, T0), T0 + 30 * SECOND, new Next.Wait(POLL)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("steps")
  void standby(String what, Optional<LeaderElectionRecord> read, Seen before, long now, Next expected) {
    Step step = LeaseElector.standby(read, before, "me", now, TIMING);
    assertThat(step.next()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("steps")
  void theClockStartsWhenTheRecordChangesAndOnlyThen(String what, Optional<LeaderElectionRecord> read, Seen before,
      long now, Next expected) {
    Step step = LeaseElector.standby(read, before, "me", now, TIMING);
    if (step.next() instanceof Next.Wait && (before == null || !before.record().equals(read.orElseThrow()))) {
      assertThat(step.seen()).isEqualTo(new Seen(read.orElseThrow(), now));
    } else {
      assertThat(step.seen()).isEqualTo(before);
    }
  }
}
