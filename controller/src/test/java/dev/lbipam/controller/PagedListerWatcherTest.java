package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceList;
import io.kubernetes.client.util.CallGeneratorParams;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PagedListerWatcherTest {
  private static V1ServiceList page(int from, int count, String next) {
    List<V1Service> items = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      items.add(new V1Service().metadata(new V1ObjectMeta().namespace("ns").name("s-" + i).resourceVersion("7")));
    }
    return new V1ServiceList().items(items).metadata(new V1ListMeta().resourceVersion("7")._continue(next));
  }

  private static PagedListerWatcher<V1Service, V1ServiceList> lister(List<String> continueTokens) {
    return new PagedListerWatcher<>(
        new ApiClient(),
        (limit, next) -> {
          continueTokens.add(next);
          return next == null ? page(0, limit, "second") : page(limit, 3, null);
        },
        params -> {
          throw new ApiException(503, "no watch in this test");
        },
        null,
        service -> new V1Service().metadata(new V1ObjectMeta().namespace(service.getMetadata().getNamespace())
            .name(service.getMetadata().getName())),
        (items, meta) -> new V1ServiceList().items(items).metadata(meta));
  }

  @Test
  void listsEveryPageSlimmedWithTheLastResourceVersion() throws Exception {
    List<String> tokens = new ArrayList<>();
    V1ServiceList list = lister(tokens).list(new CallGeneratorParams(false, "0", null));
    assertThat(tokens).containsExactly(null, "second");
    assertThat(list.getItems()).hasSize(PagedListerWatcher.PAGE + 3);
    assertThat(list.getItems().get(0).getMetadata().getResourceVersion()).isNull();
    assertThat(list.getMetadata().getResourceVersion()).isEqualTo("7");
  }

  @Test
  void theListIsEmptiedWhenTheWatchStartsSoTheReflectorHoldsNoSecondCopy() throws Exception {
    PagedListerWatcher<V1Service, V1ServiceList> lister = lister(new ArrayList<>());
    V1ServiceList list = lister.list(new CallGeneratorParams(false, "0", null));
    assertThat(list.getItems()).isNotEmpty();
    assertThatThrownBy(() -> lister.watch(new CallGeneratorParams(true, "7", 300))).isInstanceOf(ApiException.class);
    assertThat(list.getItems()).isEmpty();
  }
}
