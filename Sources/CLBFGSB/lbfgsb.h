// liblbfgsb-dev ships the Fortran L-BFGS-B 3.0 (Nocedal & Morales, 2011) with no header.
// This declares its one entry point as gfortran emits it: every argument by reference,
// LOGICAL as a 4-byte int, and the two CHARACTER*60 arguments (task, csave) followed by
// their lengths as hidden trailing size_t arguments.
#pragma once
#include <stddef.h>

void setulb_(int *n, int *m, double *x, const double *l, const double *u, const int *nbd,
             double *f, double *g, const double *factr, const double *pgtol,
             double *wa, int *iwa, char *task, const int *iprint, char *csave,
             int *lsave, int *isave, double *dsave,
             size_t task_length, size_t csave_length);
