"""rescope's benchmarks: rescope and its peers measured side by side in one process per topic."""
