/**
 * Batch inference on Apache Spark: {@link dev.stride.spark.StrideSpark#classifier} turns any
 * generated model into a transformation of a {@code Dataset<Row>}. Spark itself is a provided
 * dependency: the cluster brings it.
 */
package dev.stride.spark;
