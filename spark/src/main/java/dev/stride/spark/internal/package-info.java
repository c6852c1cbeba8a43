/**
 * Java beans that Spark's encoders fill and read on the executors; public only because Spark's
 * generated code must reach them. Not an API: they may change in any release.
 */
package dev.stride.spark.internal;
