#include <cblas.h>
#include <stddef.h>

/* LAPACK's symmetric eigensolver, which libopenblas carries but ships no header for.
   Fortran calling convention: every argument by pointer, then the hidden lengths of the
   two CHARACTER arguments (gfortran passes them as size_t). */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info, size_t jobz_len, size_t uplo_len);
