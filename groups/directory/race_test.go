package directory

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// 16 goroutines enable SFTP for 16 different users when 3 licences are
// left: exactly 3 succeed and the count never exceeds the capacity.
func TestSFTPLicencesExactUnderRace(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{UserLicences: 20, SFTPLicences: 5, OwnerSFTP: true})
	f.user(t, "a@acme.example", NewUser{SFTP: true}) // owner + a: 3 of 5 left
	var ids []string
	for i := range 16 {
		ids = append(ids, f.user(t, fmt.Sprintf("u%d@acme.example", i), NewUser{}).ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for _, id := range ids {
		wg.Go(func() {
			_, err := f.d.UpdateUser(ctx, f.owner.ID, id, UserUpdate{SFTP: ptr(true)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrNoSFTPLicence):
				refused++
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 3 || refused != 13 {
		t.Fatalf("%d enabled, %d refused; want 3 and 13", ok, refused)
	}
	if i := f.info(t); i.SFTP != (Licences{5, 5}) {
		t.Fatalf("licences %+v", i.SFTP)
	}
}
