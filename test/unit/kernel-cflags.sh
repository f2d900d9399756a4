# shellcheck shell=bash
# Sourced by the differ's and the verifier's C-case tests: compile small C
# files the way kbuild compiles x86_64 kernel code, as far as the differ
# cares (a section per function and object, ftrace call sites, the kernel
# code model).
# shellcheck disable=SC2034  # used by the sourcing script
cflags=(-O2 -c -ffunction-sections -fdata-sections -pg -mfentry -mrecord-mcount -fno-pie
	-mcmodel=kernel -mno-red-zone -fno-asynchronous-unwind-tables -fno-stack-protector)
