/**
 * Runnable examples: Fashion-MNIST through example-app's LeNet on Spark, and the throughput
 * comparison with a plain Java loop. They need example-app on the class path (an optional
 * dependency, so users of stride-spark never inherit it).
 */
package dev.stride.spark.example;
